/**
 * The served product gives its event loop the first claim on a core (src/core/threads.ts): V8's and libuv's helper
 * threads run at a lower priority, the main thread and the WAL checkpoint worker (made after, which must not be
 * starved) at the normal one, read from /proc/PID/task/TID/stat of the process `npm run serve` starts.
 * SWITCHYARD_BACKGROUND_NICE=0 leaves them all at the main thread's.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKGROUND_NICE, backgroundNice } from '../../src/core/threads';
import { startServer, type ApiServer } from '../support/server';

const linux = process.platform === 'linux';

/** nice value of each thread of a process (field 19 of stat, the 17th after the command's closing parenthesis) */
function niceOfThreads(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      out.set(Number(task), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return out;
}

describe('background threads yield to the event loop', { timeout: 120_000 }, () => {
  let server: ApiServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('takes its nice value from SWITCHYARD_BACKGROUND_NICE, 0 to 19, else the default', () => {
    expect(backgroundNice({})).toBe(BACKGROUND_NICE);
    expect(backgroundNice({ SWITCHYARD_BACKGROUND_NICE: '0' })).toBe(0);
    expect(backgroundNice({ SWITCHYARD_BACKGROUND_NICE: '19' })).toBe(19);
    for (const bad of ['-5', '20', '3.5', 'low']) expect(backgroundNice({ SWITCHYARD_BACKGROUND_NICE: bad })).toBe(BACKGROUND_NICE);
  });

  it.runIf(linux)('the served product: V8’s and libuv’s threads lower, the main thread and the checkpoint worker at the normal priority', async () => {
    server = await startServer('--empty');
    const pid = server.served.child.pid!;
    const threads = niceOfThreads(pid);
    expect(threads.get(pid)).toBe(0);
    const others = [...threads].filter(([tid]) => tid !== pid).map(([, n]) => n);
    // V8's platform workers and libuv's pool (4 each by default) lowered; one thread made after them, the checkpoint
    // worker, at the main thread's priority
    expect(others.filter((n) => n === BACKGROUND_NICE).length, JSON.stringify([...threads])).toBeGreaterThanOrEqual(8);
    expect(others.filter((n) => n !== BACKGROUND_NICE), JSON.stringify([...threads])).toEqual([0]);
    // the server works as before
    expect((await server.api('GET', '/status')).status).toBe(200);
  });

  it.runIf(linux)('SWITCHYARD_BACKGROUND_NICE=0 leaves every thread at the main thread’s priority', async () => {
    process.env.SWITCHYARD_BACKGROUND_NICE = '0';
    try {
      server = await startServer('--empty');
    } finally {
      delete process.env.SWITCHYARD_BACKGROUND_NICE;
    }
    const threads = niceOfThreads(server.served.child.pid!);
    expect(threads.size).toBeGreaterThanOrEqual(9);
    expect([...threads.values()].every((n) => n === 0)).toBe(true);
  });
});
