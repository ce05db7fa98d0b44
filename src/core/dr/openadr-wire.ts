/**
 * OpenADR 3 wire format (shared/spec/openadr3.yaml): programs, events, VENs, resources, subscriptions, reports
 * and notifications, built from the one demand response model the operator and partner APIs use.
 * `viewer` is the partner (VEN) reading, or null for the VTN operator (business logic) who sees every target.
 */
import type { Db } from '../store/store';
import { intervalTimes } from './dispatch';
import { type EventRow, toOperator } from './events';

const iso = (t: string) => new Date(Date.parse(t)).toISOString();

export interface ProgramRow {
  id: number;
  uuid: string;
  name: string;
  description: string | null;
  openadr?: string | null;
  created_at: string;
  modified_at: string;
}
export interface PartnerRow {
  id: number;
  uuid: string;
  name: string;
  client_id: string;
  role: 'ven' | 'bl';
  ven_name: string | null;
  ven_registered_at: string | null;
  ven_attributes?: string | null;
  created_at: string;
}

/** A program: its name, the operator's description as a DESCRIPTION attribute, and the OpenADR members a BL wrote. */
export function programOut(p: ProgramRow) {
  const extra = (p.openadr ? JSON.parse(p.openadr) : {}) as Record<string, unknown>;
  return {
    id: p.uuid,
    objectType: 'PROGRAM',
    createdDateTime: iso(p.created_at),
    modificationDateTime: iso(p.modified_at),
    programName: p.name.slice(0, 128),
    ...(p.description ? { attributes: [{ type: 'DESCRIPTION', values: [p.description] }] } : {}),
    ...extra,
  };
}

/** Units of the operator's payload types (documented in docs/dr.md). */
const UNITS: Record<string, string | undefined> = { PowerLevel: 'KW', DISPATCH_SETPOINT: 'KW', CurrentLevel: 'A', PRICE: undefined, SIMPLE: undefined };

/** Milliseconds as an ISO 8601 duration (PT1H30M, PT5S). */
export function isoDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${r || (!h && !m) ? `${r}S` : ''}`;
}

type WireInterval = { id: number; intervalPeriod?: { start?: string; duration?: string }; payloads: { type: string; values: unknown[] }[] };

/**
 * The event's intervals: an event without intervals is one interval carrying its payload over the event's period;
 * several intervals each carry their own intervalPeriod (when they hold, as dispatch holds them), since OpenADR reads
 * the event's intervalPeriod.duration as the default duration of each interval.
 */
export function intervalsOf(e: EventRow): WireInterval[] {
  const o = toOperator(e);
  const stored = o.intervals as WireInterval[];
  if (!stored.length) return [{ id: 0, payloads: [{ type: o.payload.type, values: [o.payload.value] }] }];
  if (stored.length === 1 && !stored[0].intervalPeriod) return stored;
  const times = intervalTimes(o);
  return stored.map((iv, i) => ({ ...iv, intervalPeriod: { start: new Date(times[i].start).toISOString(), duration: isoDuration(times[i].end - times[i].start) } }));
}

export function eventOut(db: Db, e: EventRow, viewer: number | null) {
  const o = toOperator(e);
  const program = e.program_id ? (db.prepare('SELECT uuid FROM dr_programs WHERE id = ?').get(e.program_id) as { uuid: string } | undefined) : undefined;
  const targets = o.target_resources
    .map((id) => db.prepare('SELECT resource_id, partner_id FROM dr_resources WHERE id = ?').get(id) as { resource_id: string; partner_id: number | null } | undefined)
    .filter((r): r is { resource_id: string; partner_id: number | null } => Boolean(r) && (viewer === null || r!.partner_id === viewer))
    .map((r) => r.resource_id);
  const intervals = intervalsOf(e);
  const types = [...new Set(intervals.flatMap((i) => i.payloads.map((p) => p.type)))];
  const ip = o.interval_period;
  return {
    id: e.uuid,
    objectType: 'EVENT',
    createdDateTime: iso(e.created_at),
    modificationDateTime: iso(e.modified_at),
    programID: program?.uuid ?? 'none',
    eventName: e.name,
    priority: e.priority,
    targets: [...new Set(targets)],
    payloadDescriptors: types.map((t) => ({ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: t, ...(UNITS[t] ? { units: UNITS[t] } : {}) })),
    intervalPeriod: { start: ip.start, duration: ip.duration, ...(ip.randomizeStart ? { randomizeStart: ip.randomizeStart } : {}) },
    intervals,
  };
}

export function venOut(p: PartnerRow) {
  return {
    id: p.uuid,
    objectType: 'VEN',
    createdDateTime: iso(p.ven_registered_at ?? p.created_at),
    modificationDateTime: iso(p.ven_registered_at ?? p.created_at),
    clientID: p.client_id,
    venName: p.ven_name ?? p.name,
    ...(p.ven_attributes ? { attributes: JSON.parse(p.ven_attributes) as unknown[] } : {}),
  };
}

export interface ResourceRowFull {
  id: number;
  uuid: string;
  partner_id: number | null;
  resource_id: string;
  metadata: string;
  created_at: string;
  modified_at: string;
}
export function resourceOut(r: ResourceRowFull, owner: PartnerRow) {
  const meta = JSON.parse(r.metadata) as Record<string, unknown>;
  return {
    id: r.uuid,
    objectType: 'RESOURCE',
    createdDateTime: iso(r.created_at),
    modificationDateTime: iso(r.modified_at),
    clientID: owner.client_id,
    resourceName: r.resource_id,
    venID: owner.uuid,
    ...(Array.isArray(meta.attributes) ? { attributes: meta.attributes } : {}),
  };
}

export interface OpenAdrSubscription {
  clientName: string;
  programID?: string;
  objectOperations: { objects: string[]; operations: string[]; callbackUrl: string; bearerToken?: string | null }[];
  targets?: string[] | null;
}
export function subscriptionOut(s: { uuid: string; created_at: string; openadr: string; webhook_secret: string }, owner: PartnerRow) {
  const body = JSON.parse(s.openadr) as OpenAdrSubscription;
  return {
    id: s.uuid,
    objectType: 'SUBSCRIPTION',
    createdDateTime: iso(s.created_at),
    modificationDateTime: iso(s.created_at),
    clientID: owner.client_id,
    ...body,
    // not in the schema (extra members are allowed): the secret of our HMAC signature headers
    webhookSecret: s.webhook_secret,
  };
}

export function reportOut(r: { uuid: string; created_at: string; modified_at: string; openadr: string | null; name: string | null; payloads: string }, eventUuid: string, owner: PartnerRow) {
  const body = (r.openadr ? JSON.parse(r.openadr) : { clientName: owner.name, reportName: r.name, resources: [] }) as Record<string, unknown>;
  return { id: r.uuid, objectType: 'REPORT', createdDateTime: iso(r.created_at), modificationDateTime: iso(r.modified_at), clientID: owner.client_id, ...body, eventID: eventUuid };
}
