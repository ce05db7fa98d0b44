/**
 * Control in the runtime: the arbiter with its device writer, point settings, persisted operator and partner
 * requests, the storage controllers and point schedules as before-cycle sources, and the operations the routes
 * and other features (demand response) use. Looked up as `ctx.services.get('control') as ControlHub`.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, badRequest, forbidden } from '../api/errors';
import type { AuditLog } from '../audit/audit';
import type { Principal } from '../auth/service';
import type { Store } from '../store/store';
import type { ValueBus } from '../values/bus';
import { Arbiter, type ControlRequest, type PointSettings, PRIORITY, type WriteOutcome } from './arbiter';
import type { ControlService } from './control';
import { PointSchedules } from './schedules';
import { StorageControllers } from './storage';

interface PointRow {
  id: number;
  name: string;
  is_virtual: number;
  high_limit: number | null;
  low_limit: number | null;
  fallback: string | null;
  fallback_value: number | null;
  ramp_rate: number | null;
  deadband: number | null;
  protocol?: string | null;
}

interface RequestRow {
  id: string;
  point_id: number;
  value: number;
  priority: number;
  source: 'operator' | 'partner';
  owner: string;
  user_id: number | null;
  actor_name: string;
  reason: string;
  start: number;
  expires: number | null;
}

export interface OverrideInput {
  value: unknown;
  duration_seconds?: unknown;
  expires?: unknown;
  reason?: unknown;
}

export const DEFAULT_CYCLE_MS = 1000;

export class ControlHub {
  readonly arbiter: Arbiter;
  readonly storage: StorageControllers;
  readonly schedules: PointSchedules;
  private pointCache = new Map<number, PointSettings | null>();
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
    private readonly values: ValueBus,
    readonly writer: ControlService,
    opts: { cycleMs?: number; now?: () => number } = {},
  ) {
    const now = opts.now ?? Date.now;
    this.now = now;
    this.arbiter = new Arbiter(
      {
        now,
        settings: (id) => this.settings(id),
        latest: (id) => values.latest(id),
        write: (pointId, value, by, reason) => writer.write({ pointId, value, actor: by, reason }),
        audit: (e) => audit.record({ ...e, result: 'ok' }),
        expired: (r) => store.db.prepare('DELETE FROM control_requests WHERE id = ?').run(r.id),
      },
      { cycleMs: opts.cycleMs ?? DEFAULT_CYCLE_MS },
    );
    this.storage = new StorageControllers(store, values, this.arbiter);
    this.schedules = new PointSchedules(store, this.arbiter);
    this.arbiter.beforeCycle((t) => this.storage.run(t));
    this.arbiter.beforeCycle((t) => this.schedules.run(t));
  }

  /** Configuration changed (points, control entities, schedules, tariffs): reload lazily. */
  invalidate(): void {
    this.pointCache.clear();
    this.storage.invalidate();
    this.schedules.invalidate();
  }

  settings(pointId: number): PointSettings | undefined {
    let s = this.pointCache.get(pointId);
    if (s === undefined) {
      const r = this.store.db.prepare('SELECT p.id, p.name, p.is_virtual, p.high_limit, p.low_limit, c.fallback, c.fallback_value, c.ramp_rate, c.deadband, d.protocol FROM points p LEFT JOIN control_points c ON c.point_id = p.id LEFT JOIN data_sources d ON d.id = p.data_source_id WHERE p.id = ?').get(pointId) as PointRow | undefined;
      s = r
        ? {
            name: r.name,
            low: r.low_limit,
            high: r.high_limit,
            fallback: r.fallback === 'value' && r.fallback_value !== null ? 'value' : 'leave',
            fallbackValue: r.fallback === 'value' ? r.fallback_value : null,
            rampPerSecond: r.ramp_rate && r.ramp_rate > 0 ? r.ramp_rate : null,
            deadband: Math.max(r.deadband ?? 0, 1e-6),
            handEntered: r.protocol === 'manual',
          }
        : null;
      this.pointCache.set(pointId, s);
    }
    return s ?? undefined;
  }

  /** Puts the persisted operator and partner requests back (expired ones end, audited, on the first cycle). */
  restore(): void {
    for (const r of this.store.db.prepare('SELECT * FROM control_requests').all() as RequestRow[]) {
      this.arbiter.put({ id: r.id, pointId: r.point_id, value: r.value, priority: r.priority, source: r.source, owner: r.owner, actor: { userId: r.user_id, name: r.actor_name }, reason: r.reason, start: r.start, expires: r.expires });
    }
  }

  private point(pointId: unknown, fieldName = 'point_id'): PointRow {
    const id = typeof pointId === 'string' && /^\d+$/.test(pointId) ? Number(pointId) : pointId;
    const r = Number.isInteger(id) ? (this.store.db.prepare('SELECT id, name, is_virtual, high_limit, low_limit FROM points WHERE id = ?').get(id) as PointRow | undefined) : undefined;
    if (!r) throw badRequest('API.INVALID_POINT_ID', `point ${String(pointId)} does not exist`, fieldName);
    if (r.is_virtual) throw badRequest('API.POINT_IS_VIRTUAL', `point ${r.name} is virtual and cannot be written`, fieldName);
    return r;
  }

  /** Checks a value against the point's limits; names the field at fault. */
  private checkValue(p: PointRow, value: unknown, fieldName: string): number {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw badRequest('API.INVALID_VALUE', `${fieldName} must be a finite number`, fieldName);
    if ((p.high_limit !== null && n > p.high_limit) || (p.low_limit !== null && n < p.low_limit)) {
      throw badRequest('API.SET_VALUE_OUT_OF_LIMITS', `${n} is outside the limits of ${p.name} (${p.low_limit ?? '-∞'} .. ${p.high_limit ?? '∞'})`, fieldName);
    }
    return n;
  }

  /**
   * An operator's manual override (a session) or a partner's write (an API key): a request that holds until its
   * lease ends or it is released. One per point for operators (a new one replaces the last), one per key for
   * partners. Answers the request and the write it caused (null when the device already held the value).
   */
  async override(who: Principal, pointId: unknown, input: OverrideInput, opts: { valueField?: string; reasonPrefix?: string } = {}): Promise<{ request: ControlRequest; write: WriteOutcome | null; audit_id: number }> {
    if (who.isReadOnly) throw forbidden('API.READ_ONLY_USER', 'a read-only user cannot write to devices');
    const p = this.point(pointId);
    const value = this.checkValue(p, input.value, opts.valueField ?? 'value');
    const now = this.now();
    let expires: number | null = null;
    if (input.duration_seconds !== undefined && input.duration_seconds !== null && input.expires !== undefined && input.expires !== null) throw badRequest('API.INVALID_EXPIRES', 'give duration_seconds or expires, not both', 'expires');
    if (input.duration_seconds !== undefined && input.duration_seconds !== null) {
      const d = Number(input.duration_seconds);
      if (!Number.isFinite(d) || d <= 0 || typeof input.duration_seconds === 'boolean') throw badRequest('API.INVALID_DURATION_SECONDS', 'duration_seconds must be a positive number of seconds (leave it out to hold until released)', 'duration_seconds');
      expires = now + d * 1000;
    }
    if (input.expires !== undefined && input.expires !== null) {
      const t = typeof input.expires === 'string' && /([zZ]|[+-]\d\d:?\d\d)$/.test(input.expires) ? Date.parse(input.expires) : NaN;
      if (Number.isNaN(t)) throw badRequest('API.INVALID_EXPIRES', 'expires must be an ISO 8601 date and time with its zone, e.g. 2026-07-01T17:00:00Z', 'expires');
      if (t <= now) throw badRequest('API.INVALID_EXPIRES', `expires ${input.expires} is in the past: a lease must end in the future`, 'expires');
      expires = t;
    }
    if (input.reason !== undefined && input.reason !== null && (typeof input.reason !== 'string' || input.reason.length > 255)) throw badRequest('API.INVALID_REASON', 'reason must be text of at most 255 characters', 'reason');
    const partner = who.via === 'apikey';
    const reasonText = [opts.reasonPrefix, typeof input.reason === 'string' && input.reason.trim() ? input.reason.trim() : null].filter(Boolean).join(': ') || (partner ? 'partner write' : 'manual override');
    const r: ControlRequest = {
      id: randomUUID(),
      pointId: p.id,
      value,
      priority: partner ? PRIORITY.partner : PRIORITY.operator,
      source: partner ? 'partner' : 'operator',
      owner: partner ? `partner:${who.userId}` : 'operator',
      actor: { userId: who.userId, name: who.userName },
      reason: reasonText,
      start: now,
      expires,
    };
    const replaced = this.arbiter.requests(p.id).find((x) => x.owner === r.owner);
    this.store.tx(() => {
      this.store.db.prepare('DELETE FROM control_requests WHERE point_id = ? AND owner = ?').run(p.id, r.owner);
      this.store.db
        .prepare('INSERT INTO control_requests (id, point_id, value, priority, source, owner, user_id, actor_name, reason, start, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(r.id, r.pointId, value, r.priority, r.source, r.owner, who.userId, who.userName, r.reason, r.start, r.expires);
    });
    this.arbiter.put(r);
    const auditId = this.audit.record({
      userId: who.userId,
      userName: who.userName,
      action: 'control.request.create',
      target: `points:${p.id}`,
      oldValue: replaced?.value ?? null,
      newValue: value,
      result: 'ok',
      details: { request_id: r.id, source: r.source, priority: r.priority, reason: r.reason, expires: expires === null ? null : new Date(expires).toISOString(), replaces: replaced?.id ?? null },
    });
    const write = await this.arbiter.settle(p.id);
    return { request: r, write, audit_id: auditId };
  }

  /** Releases an operator's or partner's request; requests of DR, controllers and schedules belong to them. */
  async release(who: Principal, pointId: number, requestId: string): Promise<{ released: ControlRequest; write: WriteOutcome | null }> {
    if (who.isReadOnly) throw forbidden('API.READ_ONLY_USER', 'a read-only user cannot release requests');
    const r = this.arbiter.requests(pointId).find((x) => x.id === requestId);
    if (!r) throw new ApiError(404, 'API.NOT_FOUND', 'API.CONTROL_REQUEST_NOT_FOUND', `point ${pointId} has no live request ${requestId}`);
    if (r.source !== 'operator' && r.source !== 'partner') throw badRequest('API.REQUEST_NOT_RELEASABLE', `request ${requestId} belongs to ${r.source} (${r.reason}); end it there (e.g. cancel the DR event or change the controller)`, 'request_id');
    this.arbiter.withdraw(r.owner, pointId);
    this.store.db.prepare('DELETE FROM control_requests WHERE id = ?').run(r.id);
    this.audit.record({ userId: who.userId, userName: who.userName, action: 'control.request.release', target: `points:${pointId}`, oldValue: r.value ?? null, result: 'ok', details: { request_id: r.id, source: r.source, reason: r.reason } });
    const write = await this.arbiter.settle(pointId);
    return { released: r, write };
  }

  /**
   * A commissioning engineer's test write: momentary (written once, not held). Refused while a request holds the
   * point, since the arbiter would put the holder's value back at once.
   */
  async momentary(who: Principal, pointId: number, value: unknown, priority?: number): Promise<WriteOutcome> {
    if (who.isReadOnly) throw forbidden('API.READ_ONLY_USER', 'a read-only user cannot write to devices');
    const p = this.point(pointId);
    const v = this.checkValue(p, value, 'value');
    const holder = this.arbiter.requests(p.id).find((r) => r.value !== undefined);
    if (holder) throw badRequest('API.POINT_IS_HELD', `${p.name} is held by ${holder.source} (${holder.reason}); release that request or place an override instead`, 'point_id');
    return this.writer.write({ pointId: p.id, value: v, actor: who, reason: 'commissioning write (momentary)', priority });
  }

  /** The stack of requests on a point and what wins, for the API and the faceplate. */
  stack(pointId: number) {
    const p = this.settings(pointId);
    if (!p) throw new ApiError(404, 'API.NOT_FOUND', 'API.POINT_NOT_FOUND', `point ${pointId} does not exist`);
    const res = this.arbiter.resolve(pointId);
    const device = this.values.latest(pointId);
    const lw = this.arbiter.lastWrite(pointId);
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      point_id: pointId,
      name: p.name,
      fallback: p.fallback === 'value' ? { mode: 'value', value: p.fallbackValue } : { mode: 'leave', value: null },
      ramp_rate: p.rampPerSecond,
      winner: res.winner?.id ?? null,
      kind: res.kind,
      target: res.target,
      why: res.why,
      bounds: res.bounds,
      device: device ? { value: device.value, quality: device.quality, utc_date_time: iso(device.ts) } : null,
      last_write: lw ? { value: lw.value, utc_date_time: iso(lw.at), ok: lw.ok, error: lw.error ?? null } : null,
      requests: this.arbiter.requests(pointId).map((r) => ({
        id: r.id,
        source: r.source,
        owner: r.owner,
        priority: r.priority,
        value: r.value ?? null,
        min: r.min ?? null,
        max: r.max ?? null,
        reason: r.reason,
        actor: r.actor.name,
        start: iso(r.start),
        expires: iso(r.expires),
        winning: r.id === res.winner?.id,
        releasable: r.source === 'operator' || r.source === 'partner',
      })),
    };
  }
}
