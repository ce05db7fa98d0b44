import type { PointConfig, Quality, WriteOutcome } from '../contracts';

/**
 * Where a driver puts a scan's readings: one call per point, no object per reading (the engine scales each into the
 * scan's packed value batch as it comes, values/batch.ts). raw: the value read, null when there is none; quality: one
 * the driver knows better (comm_fail for a silent slave on a shared line, stale for an old MQTT value); ts: the
 * device's time, else the scan's; error: why there is no value (quality bad unless given).
 */
export interface Readings {
  add(pointId: number, raw: number | string | null, quality?: Quality, ts?: number, error?: string): void;
}

/** one reading given as an object (read now, MQTT's last values) */
export const addReading = (out: Readings, pointId: number, r: RawReading): void => out.add(pointId, r.raw, r.quality, r.ts, r.error);

/** the one reading `fill` adds, as an object (read now) */
export function readingOf(fill: (out: Readings) => void): RawReading {
  let r: RawReading = { raw: null, error: 'no reading' };
  fill({
    add: (_id, raw, quality, ts, error) => {
      r = { raw, ...(quality ? { quality } : {}), ...(ts !== undefined ? { ts } : {}), ...(error !== undefined ? { error } : {}) };
    },
  });
  return r;
}

/** One point's reading before scaling: the raw value, or the reason there is none (read now, a write's read-back). */
export interface RawReading {
  raw: number | string | null;
  /** set when the point could not be read while its device answered (exception, decode error): quality bad */
  error?: string;
  /** a quality the driver knows better (comm_fail for a silent slave on a shared line, stale for an old MQTT value) */
  quality?: Quality;
  /** source timestamp when the device gives one; else the scan time */
  ts?: number;
}

export interface WireTrace {
  request?: string;
  response?: string;
  /** registers or bits as read, for commissioning */
  words?: number[];
}

/** What a driver records for the diagnostics page. */
export class DriverStats {
  lastError?: string;
  readonly errors: Record<string, number> = {};
  private readonly rtts: number[] = [];
  requestsInLastScan = 0;
  /** requests sent and answers received since the data source started (wire counters: a read that was never sent or never answered shows as a gap between the two, or against requests per scan times the scans due) */
  requestsTotal = 0;
  responsesTotal = 0;
  /**
   * The last request and response as given: bytes are turned into hex text only when the diagnostics ask (formatting
   * every Modbus frame, ~160 a second at 10,000 points, was ~7 % of everything the server allocated)
   */
  private req?: string | ArrayLike<number>;
  private res?: string | ArrayLike<number>;

  get lastRequest(): string | undefined {
    return this.req === undefined || typeof this.req === 'string' ? this.req : (this.req = hex(this.req));
  }
  get lastResponse(): string | undefined {
    return this.res === undefined || typeof this.res === 'string' ? this.res : (this.res = hex(this.res));
  }

  /** hex text, or the bytes (kept, not copied: the caller does not change them afterwards) */
  request(frame: string | ArrayLike<number>): void {
    this.req = frame;
    this.requestsTotal++;
  }
  response(frame: string | ArrayLike<number>, rttMs: number): void {
    this.res = frame;
    this.responsesTotal++;
    this.rtts.push(rttMs);
    if (this.rtts.length > 200) this.rtts.shift();
  }
  error(kind: string, message: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    this.lastError = message;
  }
  rtt(): { last: number | null; p50: number | null; p95: number | null } {
    if (!this.rtts.length) return { last: null, p50: null, p95: null };
    const sorted = [...this.rtts].sort((a, b) => a - b);
    const q = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 100) / 100;
    return { last: Math.round(this.rtts[this.rtts.length - 1] * 100) / 100, p50: q(0.5), p95: q(0.95) };
  }
}

export interface DriverContext {
  connection: Record<string, unknown>;
  /** request timeout in milliseconds */
  timeoutMs: number;
  log: (line: string) => void;
  /** for drivers whose devices push (MQTT): readings arriving between scans, put into `out` by `fill` */
  push: (fill: (out: Readings) => void) => void;
  /** called when the driver notices by itself that the link is gone (socket closed) */
  lost: (reason: string) => void;
}

/**
 * A protocol driver: connects to one data source's device, reads its points as planned, writes commands.
 * A thrown error from connect() or read() means the device is unreachable: the engine turns every point
 * of the data source to comm_fail and reconnects with backoff.
 */
export interface Driver {
  connect(): Promise<void>;
  /** the points to read from now on (called after connect and whenever the points change) */
  plan(points: PointConfig[]): void;
  /** one scan: every reading goes into `out` (a scan that throws has its readings dropped) */
  read(out: Readings): Promise<void>;
  /** reads one point with its wire trace, for "read now" */
  readOne(point: PointConfig): Promise<RawReading & WireTrace>;
  write(point: PointConfig, raw: number, opts: { priority?: number }): Promise<WriteOutcome>;
  close(): Promise<void>;
  readonly stats: DriverStats;
}

export const hex = (bytes: ArrayLike<number>): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

/** Rejects after `ms` with a timeout error unless the promise settles first. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
