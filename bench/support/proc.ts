/**
 * Another process's CPU time and memory, from /proc (Linux): utime + stime of /proc/PID/stat, VmRSS of
 * /proc/PID/status. A Sampler reads them once a second and gives CPU % of one core over a window and RSS
 * median and max; CPU time is what other sessions' load on a shared machine moves least.
 */
import fs from 'node:fs';

/** clock ticks per second of /proc/PID/stat (USER_HZ: 100 on Linux) */
const TICK = 100;

/** CPU seconds (user + system) the process has used so far; its children not included. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export interface Sample {
  /** ms, performance.now() */
  t: number;
  cpu: number;
  rss: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

export class Sampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly pid: number) {}

  sample(): Sample | null {
    try {
      const s = { t: performance.now(), cpu: cpuSeconds(this.pid), rss: rssBytes(this.pid) };
      this.samples.push(s);
      return s;
    } catch {
      return null; // the process is gone
    }
  }

  start(everyMs = 1000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  /** CPU % of one core between the first sample at or after `from` and the last at or before `to` (ms). */
  cpuPercent(from = -Infinity, to = Infinity): number {
    const w = this.samples.filter((s) => s.t >= from && s.t <= to);
    if (w.length < 2) return NaN;
    const a = w[0];
    const b = w[w.length - 1];
    return ((b.cpu - a.cpu) / ((b.t - a.t) / 1000)) * 100;
  }

  rss(from = -Infinity, to = Infinity): { median: number; max: number } {
    const xs = this.samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.rss);
    return { median: median(xs), max: xs.length ? Math.max(...xs) : NaN };
  }
}
