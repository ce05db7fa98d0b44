import { ApiError, badRequest, forbidden } from '../api/errors';
import type { AuditLog } from '../audit/audit';
import type { Principal } from '../auth/service';
import type { AcquisitionService } from '../acquisition/contracts';
import type { Store } from '../store/store';
import type { ValueBus } from '../values/bus';

export interface WriteRequest {
  pointId: number;
  value: number;
  /** on whose behalf: an operator's principal, or the holder of the winning request (DR, a controller...) */
  actor: Principal | { system: string } | { userId: number | null; name: string };
  reason?: string;
  /** BACnet priority (1..16) */
  priority?: number;
}

export interface WriteResult {
  ok: boolean;
  readback: number | string | null;
  audit_id: number;
  error?: string;
}

interface PointRow {
  id: number;
  name: string;
  data_source_id: number;
  is_virtual: number;
  high_limit: number | null;
  low_limit: number | null;
}

/**
 * The device writer behind the arbiter (arbiter.ts): permission, limits, the driver's write, a read-back where
 * the protocol allows, and one audit entry (who, when, point, old value, new value, result). Nothing but the
 * arbiter calls `write`; every other writer places a request with the arbiter.
 */
export class ControlService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
    private readonly values: ValueBus,
    private readonly acquisition: () => AcquisitionService | undefined,
  ) {}

  async write(req: WriteRequest): Promise<WriteResult> {
    const who = 'system' in req.actor ? { userId: null, userName: req.actor.system } : 'userName' in req.actor ? { userId: req.actor.userId, userName: req.actor.userName } : { userId: req.actor.userId, userName: req.actor.name };
    if ('isReadOnly' in req.actor && req.actor.isReadOnly) {
      this.audit.record({ ...who, action: 'command.write', target: `points:${req.pointId}`, newValue: req.value, result: 'denied', details: { reason: 'read-only user' } });
      throw forbidden('API.READ_ONLY_USER', 'a read-only user cannot write to devices');
    }
    const point = this.store.db.prepare('SELECT id, name, data_source_id, is_virtual, high_limit, low_limit FROM points WHERE id = ?').get(req.pointId) as PointRow | undefined;
    if (!point) throw new ApiError(404, 'API.NOT_FOUND', 'API.POINT_NOT_FOUND', `point ${req.pointId} does not exist`);
    if (typeof req.value !== 'number' || !Number.isFinite(req.value)) throw badRequest('API.INVALID_SET_VALUE', 'the value to write must be a finite number', 'set_value');
    if (point.is_virtual) throw badRequest('API.POINT_IS_VIRTUAL', `point ${point.name} is virtual and cannot be written`, 'point_id');
    const old = this.values.latest(point.id)?.value ?? null;
    const outOfLimits = (point.high_limit !== null && req.value > point.high_limit) || (point.low_limit !== null && req.value < point.low_limit);
    if (outOfLimits) {
      const auditId = this.audit.record({ ...who, action: 'command.write', target: `points:${point.id}`, oldValue: old, newValue: req.value, result: 'denied', details: { reason: 'outside the point limits', low_limit: point.low_limit, high_limit: point.high_limit } });
      throw badRequest('API.SET_VALUE_OUT_OF_LIMITS', `${req.value} is outside the limits of ${point.name} (${point.low_limit ?? '-∞'} .. ${point.high_limit ?? '∞'}); audit ${auditId}`, 'set_value');
    }
    const acq = this.acquisition();
    let ok = false;
    let readback: number | string | null = null;
    let error: string | undefined;
    if (!acq) error = 'acquisition is not running';
    else {
      try {
        const r = await acq.write(point.id, req.value, { priority: req.priority });
        ok = r.ok;
        readback = r.readback ?? null;
        error = r.error;
      } catch (e) {
        error = (e as Error).message;
      }
    }
    const auditId = this.audit.record({
      ...who,
      action: 'command.write',
      target: `points:${point.id}`,
      oldValue: old,
      newValue: req.value,
      result: ok ? 'ok' : 'failed',
      details: { point: point.name, readback, error, reason: req.reason, priority: req.priority },
    });
    return { ok, readback, audit_id: auditId, ...(error ? { error } : {}) };
  }

  /** MQTT publish for commands that name a topic (MyEMS's command model), audited like any write. */
  async publish(actor: Principal, dataSourceId: number, topic: string, payload: string, commandId: number): Promise<WriteResult> {
    const acq = this.acquisition();
    let ok = false;
    let error: string | undefined;
    try {
      if (!acq) throw new Error('acquisition is not running');
      await acq.publish(dataSourceId, topic, payload);
      ok = true;
    } catch (e) {
      error = (e as Error).message;
    }
    const auditId = this.audit.record({
      userId: actor.userId,
      userName: actor.userName,
      action: 'command.publish',
      target: `commands:${commandId}`,
      newValue: payload,
      result: ok ? 'ok' : 'failed',
      details: { topic, data_source_id: dataSourceId, error },
    });
    return { ok, readback: null, audit_id: auditId, ...(error ? { error } : {}) };
  }
}
