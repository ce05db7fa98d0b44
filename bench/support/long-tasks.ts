/**
 * A long-task logger for benchmarks: says what held the event loop, not only how long.
 *
 * A 5 ms timer (schedstat.mjs watchHolds); a tick that comes more than `thresholdMs` late closes a "hold". For each hold it
 * records, from the main thread's /proc/self/task/<pid>/schedstat, how much of it the thread ran on a CPU and how much
 * it waited for a core (runnable but not running: other processes' turns); the rest it was blocked (I/O, locks).
 * GC pauses (PerformanceObserver 'gc') and named sections (`wrap`, e.g. the historian's transaction or a bus
 * listener) that overlap the hold are added when the window is reported, so a hold reads as
 * "180 ms: ran 14, waited for a core 160, blocked 6; GC 3; historian transaction 175".
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { closeSchedstat, openSchedstat, readSchedstat, watchHolds, type LoopHold, type SchedstatReader } from './schedstat.mjs';

interface Span {
  name: string;
  start: number;
  end: number;
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

export class LongTasks {
  private unwatch: (() => void) | null = null;
  private holds: LoopHold[] = [];
  private spans: Span[] = [];
  private gcs: Span[] = [];
  /** per section name since the last report: calls, the longest wall time, the longest time the thread ran in one */
  private sections = new Map<string, { calls: number; wall: number; ran: number }>();
  private reader: SchedstatReader | null;
  private readonly gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      this.gcs.push({ name: `GC ${GC_KINDS[kind ?? -1] ?? 'other'}`, start: e.startTime, end: e.startTime + e.duration });
    }
  });

  constructor(readonly thresholdMs = 20) {
    this.reader = openSchedstat();
  }

  start(): void {
    this.gcObserver.observe({ entryTypes: ['gc'] });
    this.unwatch = watchHolds(this.thresholdMs, (h) => this.holds.push(h));
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = null;
    this.gcObserver.disconnect();
    closeSchedstat(this.reader);
    this.reader = null;
  }

  /**
   * `fn` timed as a section named `name`: its time is attributed to the holds it overlaps, and its own running time
   * (schedstat, to the scheduler's accounting: a few ms) is kept per name
   */
  wrap<A extends unknown[], R>(name: string, fn: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
      const start = performance.now();
      const [ran0] = readSchedstat(this.reader);
      try {
        return fn(...args);
      } finally {
        const end = performance.now();
        const ran = readSchedstat(this.reader)[0] - ran0;
        this.spans.push({ name, start, end });
        const s = this.sections.get(name) ?? { calls: 0, wall: 0, ran: 0 };
        s.calls++;
        s.wall = Math.max(s.wall, end - start);
        s.ran = Math.max(s.ran, ran);
        this.sections.set(name, s);
      }
    };
  }

  /** per section since the last call: calls, the longest wall time and the longest running time of one call */
  sectionReport(): string {
    const list = [...this.sections].sort((a, b) => b[1].ran - a[1].ran);
    this.sections = new Map();
    return list.map(([n, s]) => `${n} x${s.calls} longest ${s.wall.toFixed(0)} ms (ran ${s.ran.toFixed(0)})`).join('; ');
  }

  /**
   * The holds since the last report: how many, how many the thread itself ran more than the threshold in, and the
   * `top` longest by wall time and by running time, each with its split and what overlapped it. Sections and GC
   * pauses are kept only as long as a report may still need them.
   */
  report(top = 3): { count: number; ranOver: number; longest: number; longestRan: number; lines: string[] } {
    const holds = this.holds;
    this.holds = [];
    const cut = performance.now();
    const overlap = (s: Span, h: LoopHold) => Math.max(0, Math.min(s.end, h.end) - Math.max(s.start, h.start));
    const describe = (h: LoopHold) => {
      const wall = h.end - h.start;
      const blocked = Math.max(0, wall - h.ran - h.waited);
      const byName = new Map<string, number>();
      for (const s of [...this.spans, ...this.gcs]) {
        const o = overlap(s, h);
        if (o >= 1) byName.set(s.name, (byName.get(s.name) ?? 0) + o);
      }
      const parts = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([n, ms]) => `${n} ${ms.toFixed(0)}`);
      return `${wall.toFixed(0)} ms: ran ${h.ran.toFixed(0)}, waited for a core ${h.waited.toFixed(0)}, blocked ${blocked.toFixed(0)}` + (parts.length ? `; in ${parts.join(', ')}` : '');
    };
    const byWall = [...holds].sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, top);
    const byRan = [...holds].sort((a, b) => b.ran - a.ran).filter((h) => !byWall.includes(h)).slice(0, top);
    const lines = [...byWall.map((h) => `longest: ${describe(h)}`), ...byRan.map((h) => `most run: ${describe(h)}`)];
    this.spans = this.spans.filter((s) => s.end > cut - 1000);
    this.gcs = this.gcs.filter((s) => s.end > cut - 1000);
    return {
      count: holds.length,
      ranOver: holds.filter((h) => h.ran > this.thresholdMs).length,
      longest: holds.reduce((m, h) => Math.max(m, h.end - h.start), 0),
      longestRan: holds.reduce((m, h) => Math.max(m, h.ran), 0),
      lines,
    };
  }
}
