// The main thread's scheduler accounting, for benchmarks that split a hold of the event loop into the time the
// thread ran on a CPU and the time it waited for a core (runnable, not running: other threads' or processes' turns);
// the rest of a hold it was blocked (I/O, locks, a GC waiting for its helpers). Shared by bench/support/long-tasks.ts
// (in-process benches) and bench/support/probe.mjs (the served product). Linux /proc only: elsewhere it reads 0, 0.
import fs from 'node:fs';

/** an open reader of /proc/self/task/<main thread>/schedstat (null where there is none) */
export function openSchedstat() {
  try {
    return { fd: fs.openSync(`/proc/self/task/${process.pid}/schedstat`, 'r'), buf: Buffer.alloc(128) };
  } catch {
    return null;
  }
}

/** [ran, waited for a core] in ms since the thread started */
export function readSchedstat(reader) {
  if (!reader) return [0, 0];
  const n = fs.readSync(reader.fd, reader.buf, 0, reader.buf.length, 0);
  const [run, wait] = reader.buf.toString('latin1', 0, n).split(' ');
  return [Number(run) / 1e6, Number(wait) / 1e6];
}

export function closeSchedstat(reader) {
  if (reader) fs.closeSync(reader.fd);
}

/**
 * Watches the event loop for holds: a timer every `tickMs` that comes more than `thresholdMs` late closes one, given
 * to `onHold({ start, end, ran, waited })` (performance.now() times; ms the main thread ran and waited for a core
 * meanwhile). Returns a function that stops it. The timer does not keep the process alive.
 */
export function watchHolds(thresholdMs, onHold, tickMs = 5) {
  const reader = openSchedstat();
  let last = performance.now();
  let [ran0, waited0] = readSchedstat(reader);
  const timer = setInterval(() => {
    const now = performance.now();
    const [ran, waited] = readSchedstat(reader);
    if (now - last - tickMs > thresholdMs) onHold({ start: last, end: now, ran: ran - ran0, waited: waited - waited0 });
    last = now;
    ran0 = ran;
    waited0 = waited;
  }, tickMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    closeSchedstat(reader);
  };
}
