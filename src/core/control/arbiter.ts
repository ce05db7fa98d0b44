/**
 * The control arbiter: the one place that decides what is written to a controlled point.
 *
 * Every wish to drive a point is a request (value or constraint, priority, source, lease). Each cycle, for every
 * point with live requests, the requests are taken from the highest priority down (ties: the newest start wins):
 * a constraint narrows the range the requests below it may use (OpenEMS-style: each sees the result of the ones
 * above), the first value request wins and is clamped into that range (and by the point's limits and ramp rate).
 * The result is written only when it differs from what the device holds, and re-asserted when the device drifts
 * or comes back after a restart. With no request left the point goes to its configured fallback (a safe value,
 * or left as it is), never to a value remembered from before an older request.
 *
 * The arbiter is free of SQLite and HTTP: its device, its settings and its audit come in through `ArbiterIO`.
 */

export type Source = 'safety' | 'operator' | 'dr' | 'partner' | 'storage' | 'schedule';
export const SOURCES: readonly Source[] = ['safety', 'operator', 'dr', 'partner', 'storage', 'schedule'];

/** Priority bands (higher wins). A DR event's own priority (0 = highest) orders events inside the DR band. */
export const PRIORITY = {
  safety: 1000,
  operator: 900,
  dr: 700,
  partner: 500,
  peakShaving: 400,
  schedule: 300,
  timeOfUse: 200,
  recharge: 100,
} as const;

export interface ControlRequest {
  id: string;
  pointId: number;
  /** set the point to this value (absent for a constraint) */
  value?: number;
  /** a constraint: every request of lower priority is clamped into [min, max] */
  min?: number;
  max?: number;
  priority: number;
  source: Source;
  /** who holds the request; one request per owner and point (a new one from the same owner replaces it) */
  owner: string;
  actor: { userId: number | null; name: string };
  reason: string;
  /** epoch ms: when the request started (ties of priority: the newest start wins) */
  start: number;
  /** epoch ms: the lease's end, null = until withdrawn or released */
  expires: number | null;
}

export interface PointSettings {
  name: string;
  low: number | null;
  high: number | null;
  /** what the point goes to when no request is left */
  fallback: 'leave' | 'value';
  fallbackValue: number | null;
  /** at most this change per second of the written value (null = no ramp limit) */
  rampPerSecond: number | null;
  /** a device value within this of the target counts as equal (no write) */
  deadband: number;
  /** a hand-entered point (a `manual` source): no device answers, so a missing value does not hold back a write */
  handEntered?: boolean;
}

export interface WriteOutcome {
  ok: boolean;
  readback: number | string | null;
  audit_id: number;
  error?: string;
}

export interface ArbiterIO {
  now(): number;
  /** the point's configuration; undefined when the point does not exist (any more) */
  settings(pointId: number): PointSettings | undefined;
  /** what the device holds now (the latest value read or read back) */
  latest(pointId: number): { value: number | string | null; quality: string } | undefined;
  /** the device write (audited by the writer) on behalf of the winning request, or of the fallback */
  write(pointId: number, value: number, by: { userId: number | null; name: string }, reason: string): Promise<WriteOutcome>;
  audit(entry: { userId: number | null; userName: string; action: string; target: string; oldValue?: unknown; newValue?: unknown; details?: unknown }): number;
  /** a persistent request (operator, partner) ended by its lease */
  expired?(r: ControlRequest): void;
}

export interface Resolution {
  pointId: number;
  /** the winning value request, null when the fallback or a constraint decides */
  winner: ControlRequest | null;
  /** what the point should hold; null = nothing to write (left as is) */
  target: number | null;
  kind: 'request' | 'fallback' | 'none';
  /** the range the constraints and limits leave */
  bounds: { min: number | null; max: number | null };
  /** the request (or limit) that moved the winner's value, if any */
  clampedBy: string | null;
  why: string;
}

interface PointState {
  requests: Map<string, ControlRequest>;
  /** identity of the current decision (winner id or 'fallback'/'none'), for auditing changes */
  decision: string;
  managed: boolean;
  lastTarget: number | null;
  lastTargetAt: number;
  lastWrite: { value: number; at: number; ok: boolean; error?: string } | null;
  writing: Promise<WriteOutcome> | null;
  fallbackPending: boolean;
  /** a new decision: written exactly, whatever the deadband */
  exact: boolean;
  last: Resolution | null;
}

/** qualities of a value the device holds now (what a write is compared with) */
export const HELD_QUALITIES: ReadonlySet<string> = new Set(['good', 'manual', 'out_of_range']);
/** a failed write of the same value is retried after this long */
const RETRY_MS = 5000;

export const byPrecedence = (a: ControlRequest, b: ControlRequest) => b.priority - a.priority || b.start - a.start || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

const fmt = (n: number) => String(Math.round(n * 1000) / 1000);

export class Arbiter {
  private readonly points = new Map<number, PointState>();
  private readonly hooks: ((now: number) => void)[] = [];
  private running: Promise<void> | null = null;
  cycleMs: number;
  cycles = 0;

  constructor(
    private readonly io: ArbiterIO,
    opts: { cycleMs?: number } = {},
  ) {
    this.cycleMs = opts.cycleMs ?? 1000;
  }

  /** Runs before every cycle (storage controllers, schedules): they place, refresh or withdraw their requests. */
  beforeCycle(hook: (now: number) => void): void {
    this.hooks.push(hook);
  }

  private state(pointId: number): PointState {
    let s = this.points.get(pointId);
    if (!s) {
      s = { requests: new Map(), decision: 'none', managed: false, lastTarget: null, lastTargetAt: 0, lastWrite: null, writing: null, fallbackPending: false, exact: false, last: null };
      this.points.set(pointId, s);
    }
    return s;
  }

  /** Places a request; replaces the owner's previous request on the same point. */
  put(r: ControlRequest): void {
    this.state(r.pointId).requests.set(r.owner, r);
  }

  /** Replaces the value (or constraint) of an owner's request in place, keeping its start; places it if new. */
  upsert(r: Omit<ControlRequest, 'id' | 'start'> & { id?: string; start?: number }): ControlRequest {
    const s = this.state(r.pointId);
    const prev = s.requests.get(r.owner);
    if (prev && (r.start === undefined || r.start === prev.start)) {
      // refreshed every cycle by its owner: updated in place
      prev.value = r.value;
      prev.min = r.min;
      prev.max = r.max;
      prev.priority = r.priority;
      prev.source = r.source;
      prev.actor = r.actor;
      prev.reason = r.reason;
      prev.expires = r.expires;
      return prev;
    }
    const next: ControlRequest = { ...r, id: prev?.id ?? r.id ?? `${r.owner}@${r.pointId}`, start: r.start ?? prev?.start ?? this.io.now() };
    s.requests.set(r.owner, next);
    return next;
  }

  /** Withdraws an owner's request on a point (or on every point); true when there was one. */
  withdraw(owner: string, pointId?: number): boolean {
    let any = false;
    for (const [id, s] of this.points) if (pointId === undefined || id === pointId) any = s.requests.delete(owner) || any;
    return any;
  }

  /** Withdraws every request whose owner starts with the prefix and is not in `keep`. */
  withdrawExcept(prefix: string, keep: Set<string>): void {
    for (const s of this.points.values()) for (const owner of [...s.requests.keys()]) if (owner.startsWith(prefix) && !keep.has(owner)) s.requests.delete(owner);
  }

  requestById(id: string): ControlRequest | undefined {
    for (const s of this.points.values()) for (const r of s.requests.values()) if (r.id === id) return r;
    return undefined;
  }

  /** The live requests on a point, winner first. */
  requests(pointId: number): ControlRequest[] {
    return this.liveAt(pointId, this.io.now());
  }

  private liveAt(pointId: number, now: number): ControlRequest[] {
    const out: ControlRequest[] = [];
    const s = this.points.get(pointId);
    if (s) for (const r of s.requests.values()) if (r.expires === null || r.expires > now) out.push(r);
    return out.length > 1 ? out.sort(byPrecedence) : out;
  }

  /** Points the arbiter knows (with requests now, or managed before). */
  pointIds(): number[] {
    return [...this.points.keys()];
  }

  lastResolution(pointId: number): Resolution | null {
    return this.points.get(pointId)?.last ?? null;
  }

  lastWrite(pointId: number) {
    return this.points.get(pointId)?.lastWrite ?? null;
  }

  /** Decides what a point should hold now (no side effects). */
  resolve(pointId: number, now = this.io.now(), live = this.liveAt(pointId, now)): Resolution {
    const settings = this.io.settings(pointId);
    let lo = settings?.low ?? -Infinity;
    let hi = settings?.high ?? Infinity;
    let loBy = settings?.low !== null && settings?.low !== undefined ? 'the point\'s low limit' : '';
    let hiBy = settings?.high !== null && settings?.high !== undefined ? 'the point\'s high limit' : '';
    let constrained = false;
    const bounds = () => ({ min: Number.isFinite(lo) ? lo : null, max: Number.isFinite(hi) ? hi : null });
    for (const r of live) {
      if (r.value === undefined) {
        const label = `${r.source} (${r.reason})`;
        if (r.min !== undefined && r.min > lo) {
          lo = Math.min(r.min, hi);
          loBy = label;
        }
        if (r.max !== undefined && r.max < hi) {
          hi = Math.max(r.max, lo);
          hiBy = label;
        }
        constrained = true;
        continue;
      }
      const target = Math.min(hi, Math.max(lo, r.value));
      const clampedBy = target > r.value ? loBy : target < r.value ? hiBy : null;
      const why = `${r.source}: ${r.reason}${clampedBy ? `; ${fmt(r.value)} limited to ${fmt(target)} by ${clampedBy}` : ''}`;
      return { pointId, winner: r, target, kind: 'request', bounds: bounds(), clampedBy, why };
    }
    if (!settings) return { pointId, winner: null, target: null, kind: 'none', bounds: bounds(), clampedBy: null, why: 'unknown point' };
    if (constrained) {
      const device = this.io.latest(pointId);
      const base = settings.fallback === 'value' && settings.fallbackValue !== null ? settings.fallbackValue : typeof device?.value === 'number' ? device.value : null;
      if (base === null) return { pointId, winner: null, target: null, kind: 'none', bounds: bounds(), clampedBy: null, why: 'only constraints, and no value to keep within them' };
      const target = Math.min(hi, Math.max(lo, base));
      const clampedBy = target > base ? loBy : target < base ? hiBy : null;
      return { pointId, winner: null, target, kind: 'fallback', bounds: bounds(), clampedBy, why: `no request sets a value: ${settings.fallback === 'value' ? `fallback ${fmt(base)}` : 'kept'}${clampedBy ? `, limited to ${fmt(target)} by ${clampedBy}` : ''}` };
    }
    if (settings.fallback === 'value' && settings.fallbackValue !== null) return { pointId, winner: null, target: settings.fallbackValue, kind: 'fallback', bounds: bounds(), clampedBy: null, why: `no request: fallback ${fmt(settings.fallbackValue)}` };
    return { pointId, winner: null, target: null, kind: 'none', bounds: bounds(), clampedBy: null, why: 'no request: left as it is' };
  }

  /** One control cycle; a cycle never overlaps the previous one. */
  cycle(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.runCycle().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when no cycle is running. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async runCycle(): Promise<void> {
    const now = this.io.now();
    this.cycles++;
    for (const h of this.hooks) h(now);
    this.expire(now);
    const writes: Promise<unknown>[] = [];
    for (const pointId of [...this.points.keys()]) {
      const w = this.step(pointId, now);
      if (w) writes.push(w);
    }
    await Promise.all(writes);
  }

  /** Removes requests whose lease has ended (audited when a person or partner placed them). */
  private expire(now: number): void {
    for (const s of this.points.values()) {
      for (const [owner, r] of s.requests) {
        if (r.expires !== null && r.expires <= now) {
          s.requests.delete(owner);
          if (r.source === 'operator' || r.source === 'partner') {
            this.io.audit({ userId: r.actor.userId, userName: r.actor.name, action: 'control.request.expire', target: `points:${r.pointId}`, oldValue: r.value ?? null, details: { request_id: r.id, source: r.source, reason: r.reason, expired_at: new Date(r.expires).toISOString() } });
            this.io.expired?.(r);
          }
        }
      }
    }
  }

  /** Resolves one point now and writes it if needed; answers the write (or null when nothing was written). */
  async settle(pointId: number): Promise<WriteOutcome | null> {
    // the cycle may start the next write between the end of one and this call's turn: wait until none is in flight,
    // or step() would answer null (nothing written) while the write that carries this request is still on the wire
    for (let s = this.points.get(pointId); s?.writing; s = this.points.get(pointId)) await s.writing;
    const w = this.step(pointId, this.io.now(), true);
    return w ? await w : null;
  }

  private step(pointId: number, now: number, force = false): Promise<WriteOutcome> | null {
    const s = this.state(pointId);
    const settings = this.io.settings(pointId);
    if (!settings) {
      this.points.delete(pointId);
      return null;
    }
    const live = this.liveAt(pointId, now);
    const hasRequests = live.length > 0;
    if (!hasRequests && !s.managed && !s.fallbackPending) {
      if (s.requests.size === 0 && !s.writing) this.points.delete(pointId);
      return null;
    }
    const res = this.resolve(pointId, now, live);
    if (hasRequests) s.managed = true;
    else if (s.managed) {
      // the last request has gone: the fallback once, then the point is left alone
      s.managed = false;
      s.fallbackPending = res.target !== null;
    }
    const device = this.io.latest(pointId);
    const held = device && HELD_QUALITIES.has(device.quality) && typeof device.value === 'number' ? device.value : null;
    let target = res.target;
    const from = s.lastTarget ?? held;
    if (target !== null && settings.rampPerSecond && from !== null) {
      const step = (settings.rampPerSecond * (s.lastTarget === null ? this.cycleMs : Math.max(0, now - s.lastTargetAt))) / 1000;
      target = Math.min(from + step, Math.max(from - step, target));
      if (target !== res.target) res.why += `; ramping at ${fmt(settings.rampPerSecond)}/s`;
    }
    res.target = target;
    s.last = res;
    const decision = res.winner ? `request:${res.winner.id}` : res.kind;
    // a new decision is written exactly; the deadband only spares rewrites of the same decision's small moves
    if (decision !== s.decision) {
      s.exact = true;
      const w = res.winner;
      this.io.audit({
        userId: w?.actor.userId ?? null,
        userName: w?.actor.name ?? 'control arbiter',
        action: 'control.winner',
        target: `points:${pointId}`,
        newValue: target,
        details: { kind: res.kind, request_id: w?.id ?? null, source: w?.source ?? null, owner: w?.owner ?? null, priority: w?.priority ?? null, reason: res.why, previous: s.decision },
      });
      s.decision = decision;
    }
    if (target === null) {
      s.fallbackPending = false;
      if (!hasRequests) s.lastTarget = null;
      return null;
    }
    s.lastTarget = target;
    s.lastTargetAt = now;
    if (s.writing) return null;
    // a device that does not answer is not written (the write would fail); it is re-asserted when it answers
    if (held === null && !settings.handEntered) return null;
    const tolerance = s.exact ? 1e-6 : settings.deadband;
    if (held !== null && Math.abs(held - target) <= tolerance) {
      s.fallbackPending = false;
      s.exact = false;
      return null;
    }
    const lw = s.lastWrite;
    const again = lw !== null && Math.abs(lw.value - target) <= tolerance;
    if (!force && again) {
      // just written: wait for the device's next read before writing the same value again
      if (lw.ok && now - lw.at < Math.max(1500, this.cycleMs * 1.5)) return null;
      if (!lw.ok && now - lw.at < RETRY_MS) return null;
    }
    const by = res.winner ? res.winner.actor : { userId: null, name: 'control arbiter' };
    const reason = res.winner ? `${res.winner.source}: ${res.winner.reason}${res.clampedBy ? ` (limited by ${res.clampedBy})` : ''}` : res.why;
    const wasPending = s.fallbackPending;
    const p = this.io
      .write(pointId, target, by, again ? `${reason}; re-asserted (the device held ${held === null ? 'nothing' : fmt(held)})` : reason)
      .catch((e: Error): WriteOutcome => ({ ok: false, readback: null, audit_id: 0, error: e.message }))
      .then((out) => {
        s.lastWrite = { value: target, at: this.io.now(), ok: out.ok, error: out.error };
        if (out.ok && wasPending) s.fallbackPending = false;
        if (out.ok) s.exact = false;
        s.writing = null;
        return out;
      });
    s.writing = p;
    return p;
  }
}
