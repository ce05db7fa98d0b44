/**
 * The event loop first when the cores are busy. Node runs helper threads beside the event loop: V8's platform
 * workers (concurrent marking and compiling) and libuv's thread pool (file system, scrypt). On a small machine they
 * compete with the event loop for a core: the historian soak at 10,000 points on a quiet 2-core machine (load
 * 0.1-0.9) had the loop held 25-40 ms six times a minute while the main thread ran at most 14 ms of it; the rest it
 * waited for a core (bench/support/long-tasks.ts splits each hold so).
 * Their work may wait (a GC whose helpers are busy does the marking itself); the loop's (scans, commands, API
 * answers) may not. So, once per process and before any worker thread is made, every thread but the main one gets a
 * lower priority (nice BACKGROUND_NICE): with a core free they run as before; when they contend, the scheduler gives
 * the main thread about nine tenths of the core. Worker threads made later inherit the main thread's priority, on
 * purpose: the PostgreSQL bridge, which the main thread waits on synchronously, and the WAL checkpoint worker, which
 * a busy machine must not starve (at nice 10, beside a writer taking a whole core on a loaded machine, it fell
 * minutes behind: the WAL would grow).
 *
 * Linux only (a thread's nice value is its own there); only from the main thread (a runtime in a worker, as in a
 * test runner's pool, leaves the process's threads alone); not in the desktop app, whose main process holds Electron's
 * browser threads (their IPC with the windows stays at normal priority). SWITCHYARD_BACKGROUND_NICE sets the value,
 * 0 turns it off. Raising a nice value needs no privilege; nothing here ever lowers one.
 */
import fs from 'node:fs';
import os from 'node:os';
import { isMainThread } from 'node:worker_threads';

export const BACKGROUND_NICE = 10;

let lowered = false;

/** the nice value for background threads: the environment's SWITCHYARD_BACKGROUND_NICE (0-19) or the default */
export function backgroundNice(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.SWITCHYARD_BACKGROUND_NICE;
  if (given === undefined || given === '') return BACKGROUND_NICE;
  const n = Number(given);
  return Number.isInteger(n) && n >= 0 && n <= 19 ? n : BACKGROUND_NICE;
}

/**
 * Lowers the priority of this process's threads other than the main one, the first time it is called (later calls
 * do nothing: threads made since then may need the main thread's priority).
 */
export function yieldBackgroundThreads(): void {
  if (lowered || process.platform !== 'linux' || process.versions.electron || !isMainThread) return;
  lowered = true;
  const nice = backgroundNice();
  if (nice === 0) return;
  // libuv makes its thread pool at the first request it gets: make it now, so that it is among the threads lowered
  fs.stat('/', () => undefined);
  let tasks: string[];
  try {
    tasks = fs.readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const task of tasks) {
    const tid = Number(task);
    if (tid === process.pid) continue;
    try {
      if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
    } catch {
      // a thread that ended meanwhile
    }
  }
}
