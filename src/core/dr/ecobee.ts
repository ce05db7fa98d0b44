/**
 * The ecobee connector: an event sent to an ecobee utility account as `POST /1/demandResponse?format=json`,
 * with the document's rules checked before anything is sent (name at most 12 characters, dates YYYY-MM-DD and
 * times HH:MM:SS in the thermostats' local time, an absolute or relative temperature, hold temperatures in
 * tenths of °F). The returned demandResponseRef is kept to cancel the event later.
 */
import { DateTime } from 'luxon';
import { badRequest } from '../api/errors';
import type { Db } from '../store/store';
import { durationMs, type EventRow } from './events';

/** ecobee's answer to one call for an event: shown per reference in the console. */
export interface EcobeeCall {
  demandResponseRef: string | null;
  operation: 'send' | 'cancel';
  http_status: number | null;
  code: number;
  message: string;
  at: string;
}

/** Keeps ecobee's answers on the event (newest last). */
export function recordEcobeeAnswers(db: Db, eventId: number, answers: Omit<EcobeeCall, 'at'>[]): void {
  const row = db.prepare('SELECT ecobee_answers FROM dr_events WHERE id = ?').get(eventId) as { ecobee_answers: string } | undefined;
  if (!row) return;
  const at = new Date().toISOString();
  const list = [...(JSON.parse(row.ecobee_answers) as EcobeeCall[]), ...answers.map((a) => ({ ...a, at }))];
  db.prepare('UPDATE dr_events SET ecobee_answers = ? WHERE id = ?').run(JSON.stringify(list), eventId);
}

export interface EcobeeOptions {
  name: string;
  message?: string;
  /** the thermostats' time zone (IANA), in which ecobee wants the dates and times */
  timezone: string;
  temperature: 'absolute' | 'relative';
  /** tenths of °F: 790 = 79.0 °F (absolute) or a change in tenths (relative) */
  heat_hold_temp: number;
  cool_hold_temp: number;
  selection_type?: string;
  selection_match?: string;
  type?: string;
}

export interface EcobeeRequest {
  selection: { selectionType: string; selectionMatch: string };
  operation: 'create';
  demandResponse: {
    name: string;
    message: string;
    event: {
      name: string;
      type: string;
      startDate: string;
      startTime: string;
      endDate: string;
      endTime: string;
      heatHoldTemp?: number;
      coolHoldTemp?: number;
      heatRelativeTemp?: number;
      coolRelativeTemp?: number;
      isOptional: boolean;
      isTemperatureAbsolute: boolean;
      isTemperatureRelative: boolean;
    };
  };
}

const EVENT_TYPES = ['hold', 'demandResponse', 'sensor', 'switchOccupancy', 'vacation', 'quickSave', 'today', 'useEndTime'];

/** Checks the document's rules on a finished request; null when it may be sent, else the field and why. */
export function checkEcobeeRequest(r: EcobeeRequest): { field: string; message: string } | null {
  const e = r.demandResponse?.event;
  if (!e) return { field: 'demandResponse.event', message: 'the event is missing' };
  if (typeof e.name !== 'string' || e.name.length === 0 || e.name.length > 12) return { field: 'name', message: 'the ecobee event name must be 1 to 12 characters' };
  if (!EVENT_TYPES.includes(e.type)) return { field: 'type', message: `type must be one of ${EVENT_TYPES.join(', ')}` };
  for (const f of ['startDate', 'endDate'] as const) if (!/^\d{4}-\d{2}-\d{2}$/.test(e[f] ?? '')) return { field: f, message: `${f} must have length 10 in format YYYY-MM-DD` };
  for (const f of ['startTime', 'endTime'] as const) if (!/^\d{2}:\d{2}:\d{2}$/.test(e[f] ?? '')) return { field: f, message: `${f} must have length 8 in format HH:MM:SS` };
  if (e.isTemperatureAbsolute === e.isTemperatureRelative) return { field: 'temperature', message: 'exactly one of isTemperatureAbsolute and isTemperatureRelative must be true' };
  for (const f of e.isTemperatureRelative ? (['heatRelativeTemp', 'coolRelativeTemp'] as const) : (['heatHoldTemp', 'coolHoldTemp'] as const)) {
    if (!Number.isInteger(e[f])) return { field: f, message: `${f} must be an integer in tenths of °F` };
    if (e.isTemperatureAbsolute && ((e[f] as number) < 0 || (e[f] as number) > 1200)) return { field: f, message: `${f} must be an absolute temperature in tenths of °F (e.g. 790 = 79.0 °F)` };
  }
  if (r.operation !== 'create') return { field: 'operation', message: 'operation is always "create"' };
  return null;
}

/** Builds the request for an event, in the thermostats' local time; throws a 400 naming the field. */
export function ecobeeRequest(event: EventRow, o: EcobeeOptions): EcobeeRequest {
  if (!o || typeof o !== 'object') throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{...}}', 'data');
  if (typeof o.timezone !== 'string' || !DateTime.now().setZone(o.timezone).isValid) throw badRequest('API.INVALID_TIMEZONE', 'timezone must be the thermostats\' IANA time zone, e.g. America/Toronto', 'timezone');
  if (o.temperature !== 'absolute' && o.temperature !== 'relative') throw badRequest('API.INVALID_TEMPERATURE', 'temperature must be absolute or relative', 'temperature');
  const ip = JSON.parse(event.interval_period) as { start: string; duration: string };
  const start = DateTime.fromISO(ip.start, { zone: 'utc' }).setZone(o.timezone);
  const end = start.plus({ milliseconds: durationMs(ip.duration) ?? 0 });
  const request: EcobeeRequest = {
    selection: { selectionType: o.selection_type ?? 'managementSet', selectionMatch: o.selection_match ?? '/' },
    operation: 'create',
    demandResponse: {
      name: o.name,
      message: o.message ?? event.name,
      event: {
        name: o.name,
        type: o.type ?? 'useEndTime',
        startDate: start.toFormat('yyyy-MM-dd'),
        startTime: start.toFormat('HH:mm:ss'),
        endDate: end.toFormat('yyyy-MM-dd'),
        endTime: end.toFormat('HH:mm:ss'),
        // a relative event moves the setpoints by the given tenths of °F: ecobee's relative fields, not the hold ones
        ...(o.temperature === 'relative' ? { heatRelativeTemp: o.heat_hold_temp, coolRelativeTemp: o.cool_hold_temp } : { heatHoldTemp: o.heat_hold_temp, coolHoldTemp: o.cool_hold_temp }),
        isOptional: event.mandatory !== 1,
        isTemperatureAbsolute: o.temperature === 'absolute',
        isTemperatureRelative: o.temperature === 'relative',
      },
    },
  };
  const problem = checkEcobeeRequest(request);
  if (problem) throw badRequest(`API.INVALID_ECOBEE_${problem.field.toUpperCase().replace(/\W/g, '_')}`, problem.message, problem.field);
  return request;
}

export interface EcobeeAnswer {
  status: { code: number; message: string };
  demandResponseRef?: string;
}

/** Sends a request to the account's API; ecobee's status code and message come back as they are. */
export async function sendToEcobee(baseUrl: string, token: string, body: unknown): Promise<{ http: number; answer: EcobeeAnswer }> {
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}/1/demandResponse?format=json`, {
    method: 'POST',
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
    headers: { 'Content-Type': 'application/json;charset=UTF-8', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  let answer: EcobeeAnswer;
  try {
    answer = (await res.json()) as EcobeeAnswer;
  } catch {
    answer = { status: { code: -1, message: `ecobee answered HTTP ${res.status} without JSON` } };
  }
  return { http: res.status, answer };
}
