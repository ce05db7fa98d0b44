/**
 * DR events (OpenADR 3 shape behind the partner API): name, program, priority, target resources, an interval
 * period (start, ISO 8601 duration, randomizeStart), intervals with typed payloads, mandatory or optional,
 * status draft/scheduled/active/completed/cancelled, opt-outs. Times are stored in UTC.
 */
import { randomUUID } from 'node:crypto';
import { badRequest } from '../api/errors';
import type { Store } from '../store/store';

export const PAYLOAD_TYPES = ['CurrentLevel', 'PowerLevel', 'SIMPLE', 'PRICE', 'DISPATCH_SETPOINT'] as const;
export const STATUSES = ['draft', 'scheduled', 'active', 'completed', 'cancelled'] as const;
export type EventStatus = (typeof STATUSES)[number];

export interface EventRow {
  id: number;
  uuid: string;
  name: string;
  program_id: number | null;
  priority: number;
  target_resources: string;
  interval_period: string;
  intervals: string;
  payload: string;
  mandatory: number;
  status: EventStatus;
  opt_outs: string;
  ecobee_ref: string | null;
  ecobee_status: string | null;
  ecobee_refs?: string;
  ecobee_answers?: string;
  created_at: string;
  modified_at: string;
}

/** ISO 8601 duration (PnDTnHnMnS) in milliseconds, or null. */
export function durationMs(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return null;
  const [, d, h, min, s] = m;
  const ms = ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  return ms > 0 ? ms : null;
}

export interface EventInput {
  name: string;
  program_id: number | null;
  priority: number;
  target_resources: number[];
  interval_period: { start: string; duration: string; randomizeStart: string | null };
  intervals: unknown[];
  payload: { type: string; value: unknown };
  mandatory: boolean;
  status: EventStatus;
}

const field = (name: string, message: string) => badRequest(`API.INVALID_${name.toUpperCase()}`, message, name);

/** The operator API's body -> a checked event; names the field at fault. */
export function parseEvent(store: Store, data: unknown, existing: EventRow | null): EventInput {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{...}}', 'data');
  const d = data as Record<string, unknown>;
  const prev = existing ? toOperator(existing) : null;
  const name = d.name ?? prev?.name;
  if (typeof name !== 'string' || !name.trim() || name.length > 255) throw field('name', 'name is required (at most 255 characters)');
  const programId = d.program_id === undefined ? (prev?.program_id ?? null) : d.program_id;
  if (programId !== null && (!Number.isInteger(programId) || !store.db.prepare('SELECT 1 FROM dr_programs WHERE id = ?').get(programId))) throw field('program_id', `program ${String(programId)} does not exist`);
  const priority = d.priority ?? prev?.priority ?? 0;
  if (!Number.isInteger(priority) || (priority as number) < 0) throw field('priority', 'priority must be a non-negative integer (0 is the highest)');
  const targets = d.target_resources ?? prev?.target_resources ?? [];
  if (!Array.isArray(targets) || !targets.every((t) => Number.isInteger(t))) throw field('target_resources', 'target_resources must be a list of resource ids');
  for (const t of targets) if (!store.db.prepare('SELECT 1 FROM dr_resources WHERE id = ?').get(t)) throw field('target_resources', `resource ${t} does not exist`);
  const ip = (d.interval_period ?? prev?.interval_period) as Record<string, unknown> | undefined;
  if (!ip || typeof ip !== 'object') throw field('interval_period', 'interval_period {"start","duration"} is required');
  const start = ip.start;
  if (typeof start !== 'string' || !/[zZ]|[+-]\d\d:\d\d$/.test(start) || Number.isNaN(Date.parse(start))) {
    throw field('interval_period', 'interval_period.start must be an ISO 8601 date and time with its zone, e.g. 2026-07-01T17:00:00+02:00');
  }
  if (durationMs(ip.duration) === null) throw field('interval_period', 'interval_period.duration must be an ISO 8601 duration such as PT2H');
  const randomize = ip.randomizeStart ?? null;
  if (randomize !== null && durationMs(randomize) === null) throw field('interval_period', 'interval_period.randomizeStart must be an ISO 8601 duration such as PT5M');
  const payload = (d.payload ?? prev?.payload) as Record<string, unknown> | undefined;
  if (!payload || !PAYLOAD_TYPES.includes(payload.type as (typeof PAYLOAD_TYPES)[number])) throw field('payload', `payload.type must be one of ${PAYLOAD_TYPES.join(', ')}`);
  if (typeof payload.value !== 'number' || !Number.isFinite(payload.value)) throw field('payload', 'payload.value must be a number');
  const intervals = d.intervals ?? prev?.intervals ?? [];
  if (!Array.isArray(intervals)) throw field('intervals', 'intervals must be a list');
  // OpenADR intervals: each dispatched at its time (dispatch.ts currentSignal)
  for (const iv of intervals as Record<string, unknown>[]) {
    const ok =
      iv && typeof iv === 'object' && Number.isInteger(iv.id) && Array.isArray(iv.payloads) && iv.payloads.length > 0 &&
      (iv.payloads as Record<string, unknown>[]).every((p) => p && typeof p.type === 'string' && Array.isArray(p.values)) &&
      (iv.intervalPeriod === undefined || (typeof iv.intervalPeriod === 'object' && iv.intervalPeriod !== null));
    if (!ok) throw field('intervals', 'each interval must be {"id": integer, "intervalPeriod"?: {"start","duration"}, "payloads": [{"type","values":[...]}]}');
    const ip2 = iv.intervalPeriod as Record<string, unknown> | undefined;
    if (ip2?.start !== undefined && (typeof ip2.start !== 'string' || Number.isNaN(Date.parse(ip2.start)))) throw field('intervals', 'an interval\'s intervalPeriod.start must be an ISO 8601 date and time');
    if (ip2?.duration !== undefined && durationMs(ip2.duration) === null) throw field('intervals', 'an interval\'s intervalPeriod.duration must be an ISO 8601 duration');
  }
  const mandatory = d.mandatory ?? prev?.mandatory ?? true;
  if (typeof mandatory !== 'boolean') throw field('mandatory', 'mandatory must be true or false');
  const status = d.status ?? prev?.status ?? 'draft';
  if (status !== 'draft' && status !== 'scheduled') throw field('status', 'status can be set to draft or scheduled; cancel an event with PUT /dr/events/{id}/cancel');
  return {
    name: name.trim(),
    program_id: programId as number | null,
    priority: priority as number,
    target_resources: targets as number[],
    interval_period: { start: new Date(Date.parse(start)).toISOString(), duration: String(ip.duration), randomizeStart: randomize as string | null },
    intervals,
    payload: { type: String(payload.type), value: payload.value },
    mandatory,
    status: status as EventStatus,
  };
}

export function saveEvent(store: Store, input: EventInput, existing: EventRow | null): number {
  const now = new Date().toISOString();
  const cols = [input.name, input.program_id, input.priority, JSON.stringify(input.target_resources), JSON.stringify(input.interval_period), JSON.stringify(input.intervals), JSON.stringify(input.payload), input.mandatory ? 1 : 0, input.status];
  if (existing) {
    store.db.prepare('UPDATE dr_events SET name = ?, program_id = ?, priority = ?, target_resources = ?, interval_period = ?, intervals = ?, payload = ?, mandatory = ?, status = ?, modified_at = ? WHERE id = ?').run(...cols, now, existing.id);
    return existing.id;
  }
  return Number(
    store.db
      .prepare('INSERT INTO dr_events (uuid, name, program_id, priority, target_resources, interval_period, intervals, payload, mandatory, status, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(randomUUID(), ...cols, now, now).lastInsertRowid,
  );
}

export const endOf = (e: EventRow): number => {
  const ip = JSON.parse(e.interval_period) as { start: string; duration: string };
  return Date.parse(ip.start) + (durationMs(ip.duration) ?? 0);
};

/** The operator API's view of an event. */
export function toOperator(e: EventRow) {
  return {
    id: e.id,
    uuid: e.uuid,
    name: e.name,
    program_id: e.program_id,
    priority: e.priority,
    target_resources: JSON.parse(e.target_resources) as number[],
    interval_period: JSON.parse(e.interval_period) as { start: string; duration: string; randomizeStart: string | null },
    intervals: JSON.parse(e.intervals) as unknown[],
    payload: JSON.parse(e.payload) as { type: string; value: unknown },
    mandatory: e.mandatory === 1,
    status: e.status,
    opt_outs: JSON.parse(e.opt_outs) as number[],
    ecobee: e.ecobee_ref || e.ecobee_status ? { demandResponseRef: e.ecobee_ref, demandResponseRefs: JSON.parse(e.ecobee_refs ?? '[]') as string[], status: e.ecobee_status ? JSON.parse(e.ecobee_status) : null, answers: JSON.parse(e.ecobee_answers ?? '[]') as unknown[] } : null,
    created_datetime: e.created_at,
    modification_datetime: e.modified_at,
  };
}

/** The partner API's (OpenADR-style) view of an event. */
export function toPartner(store: Store, e: EventRow, viewer: number | null = null) {
  const o = toOperator(e);
  const program = e.program_id ? (store.db.prepare('SELECT uuid FROM dr_programs WHERE id = ?').get(e.program_id) as { uuid: string } | undefined) : undefined;
  // a partner sees the names of its own targeted resources only
  const targets = o.target_resources
    .map((id) => store.db.prepare('SELECT resource_id, partner_id FROM dr_resources WHERE id = ?').get(id) as { resource_id: string; partner_id: number | null } | undefined)
    .filter((r) => r && (viewer === null || r.partner_id === viewer))
    .map((r) => r!.resource_id);
  return {
    id: e.uuid,
    name: e.name,
    priority: e.priority,
    programId: program?.uuid ?? null,
    reportDescriptors: [],
    targetResources: targets,
    intervalPeriod: o.interval_period,
    payload: o.payload,
    intervals: o.intervals,
    status: e.status,
    mandatory: o.mandatory,
    createdDateTime: e.created_at,
    modificationDateTime: e.modified_at,
  };
}
