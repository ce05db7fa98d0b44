/**
 * OpenADR request bodies (programRequest, eventRequest) turned into the model's inputs, naming the field at fault.
 *
 * An event's intervalPeriod is, as OpenADR reads it, the default start and duration of each interval: interval i
 * starts at its own intervalPeriod.start, else where interval i-1 ended (the first at the event's start), and lasts
 * its own duration, else the event's. The stored event spans from the first start to the last end, and every
 * interval keeps its explicit period, so dispatch (dispatch.ts currentSignal) holds each at its time.
 */
import type { Db } from '../store/store';
import { durationMs } from './events';
import { bad, isValuesMap, optionalList, optionalString } from './openadr-http';
import { isoDuration } from './openadr-wire';

export interface ProgramInput {
  name: string;
  extra: Record<string, unknown>;
}

export function programInput(b: Record<string, unknown>): ProgramInput {
  if (typeof b.programName !== 'string' || !b.programName.trim() || b.programName.length > 128) throw bad('programName', 'is required (1 to 128 characters)');
  const extra: Record<string, unknown> = {};
  if (b.intervalPeriod !== undefined && b.intervalPeriod !== null) {
    const ip = b.intervalPeriod as Record<string, unknown>;
    if (typeof ip !== 'object' || typeof ip.start !== 'string' || Number.isNaN(Date.parse(ip.start))) throw bad('intervalPeriod', 'must be {"start": date-time, "duration"?: ISO 8601 duration}');
    extra.intervalPeriod = ip;
  }
  const descriptions = optionalList(b, 'programDescriptions', (x) => Boolean(x) && typeof (x as { URL?: unknown }).URL === 'string', '{"URL"}');
  if (descriptions) extra.programDescriptions = descriptions;
  const descriptors = optionalList(b, 'payloadDescriptors', (x) => Boolean(x) && typeof x === 'object' && typeof (x as { objectType?: unknown }).objectType === 'string', 'payload descriptors with their objectType');
  if (descriptors) extra.payloadDescriptors = descriptors;
  const attributes = optionalList(b, 'attributes', isValuesMap, '{"type", "values"}');
  if (attributes) extra.attributes = attributes;
  const targets = optionalList(b, 'targets', (x) => typeof x === 'string' && x.length > 0 && x.length <= 128, 'strings');
  if (targets) extra.targets = targets;
  return { name: b.programName.trim(), extra };
}

type Interval = { id: number; intervalPeriod: { start: string; duration: string }; payloads: { type: string; values: unknown[] }[] };

/** An OpenADR eventRequest -> the operator API's event body (parseEvent checks the rest); `programId` resolved. */
export function eventInput(db: Db, b: Record<string, unknown>, programId: number) {
  const name = optionalString(b, 'eventName', 255) ?? 'OpenADR event';
  if (b.priority !== undefined && b.priority !== null && (!Number.isInteger(b.priority) || (b.priority as number) < 0)) throw bad('priority', 'must be a non-negative integer');
  const targets = optionalList(b, 'targets', (x) => typeof x === 'string' && x.length > 0, 'resource names') ?? [];
  const ids = (targets as string[]).flatMap((t) => (db.prepare('SELECT id FROM dr_resources WHERE resource_id = ?').all(t) as { id: number }[]).map((r) => r.id));
  if (targets.length && !ids.length) throw bad('targets', 'names no registered resource');
  const ip = (b.intervalPeriod ?? {}) as Record<string, unknown>;
  if (typeof ip !== 'object') throw bad('intervalPeriod', 'must be {"start","duration"}');
  if (ip.start !== undefined && (typeof ip.start !== 'string' || Number.isNaN(Date.parse(ip.start)))) throw bad('intervalPeriod.start', 'must be an ISO 8601 date and time');
  const defaultMs = ip.duration === undefined ? null : durationMs(ip.duration);
  if (ip.duration !== undefined && defaultMs === null) throw bad('intervalPeriod.duration', 'must be an ISO 8601 duration such as PT15M');
  if (ip.randomizeStart !== undefined && ip.randomizeStart !== null && durationMs(ip.randomizeStart) === null) throw bad('intervalPeriod.randomizeStart', 'must be an ISO 8601 duration');
  const list = b.intervals;
  if (!Array.isArray(list) || list.length === 0) throw bad('intervals', 'at least one interval {"id", "payloads": [{"type", "values"}]} is required');
  let at = typeof ip.start === 'string' ? Date.parse(ip.start) : null;
  const intervals: Interval[] = list.map((raw: Record<string, unknown>, i) => {
    if (!raw || typeof raw !== 'object' || !Number.isInteger(raw.id)) throw bad(`intervals[${i}].id`, 'must be an integer');
    const payloads = raw.payloads as { type?: unknown; values?: unknown }[];
    if (!Array.isArray(payloads) || !payloads.length || !payloads.every(isValuesMap)) throw bad(`intervals[${i}].payloads`, 'must be a non-empty list of {"type", "values"}');
    const own = (raw.intervalPeriod ?? {}) as Record<string, unknown>;
    const s = own.start !== undefined ? Date.parse(String(own.start)) : at;
    if (s === null || Number.isNaN(s)) throw bad(`intervals[${i}].intervalPeriod.start`, 'is needed when the event has no intervalPeriod.start');
    const ms = own.duration !== undefined ? durationMs(own.duration) : defaultMs;
    if (ms === null) throw bad(`intervals[${i}].intervalPeriod.duration`, 'is needed (an ISO 8601 duration) when the event has no intervalPeriod.duration');
    at = s + ms;
    return { id: raw.id as number, intervalPeriod: { start: new Date(s).toISOString(), duration: isoDuration(ms) }, payloads: payloads as Interval['payloads'] };
  });
  const start = Math.min(...intervals.map((iv) => Date.parse(iv.intervalPeriod.start)));
  const end = Math.max(...intervals.map((iv) => Date.parse(iv.intervalPeriod.start) + durationMs(iv.intervalPeriod.duration)!));
  const first = intervals[0].payloads[0];
  return {
    name,
    program_id: programId,
    priority: (b.priority as number | null | undefined) ?? 0,
    target_resources: ids,
    interval_period: { start: new Date(start).toISOString(), duration: isoDuration(end - start), randomizeStart: (ip.randomizeStart as string | undefined) ?? null },
    payload: { type: first.type, value: first.values[0] },
    intervals,
    status: 'scheduled',
  };
}
