import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest, forbidden, notFound } from '../api/errors';
import type { Access } from '../auth/access';
import { dataOf, idParam, principalOf } from '../api/server';
import { parseIds } from '../messages/routes';
import type { RuleRunner } from './rules';
import { ALARM_FILTERS, type AlarmFilter, type AlarmService } from './service';
import { AlarmTransitionError } from './state';
import { seesAlarm, type AlarmRef } from './subject';

type Row = Record<string, unknown>;

const asApiError = (e: unknown) => {
  if (e instanceof AlarmTransitionError) return e.code === 'API.ALARM_NOT_FOUND' ? notFound(e.code, e.message) : badRequest(e.code, e.message);
  return e;
};
const guard = <T>(fn: () => T): T => {
  try {
    return fn();
  } catch (e) {
    throw asApiError(e);
  }
};

const comment = (d: Row | undefined): string | null => {
  const c = d?.comment;
  if (c === undefined || c === null || c === '') return null;
  if (typeof c !== 'string' || c.length > 2000) throw badRequest('API.INVALID_COMMENT', 'comment must be a text of at most 2000 characters', 'comment');
  return c.trim() || null;
};

const time = (v: unknown, name: string, dflt: number): number => {
  if (v === undefined || v === '') return dflt;
  const ms = typeof v === 'string' ? Date.parse(/Z$|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`) : NaN;
  if (!Number.isFinite(ms)) throw badRequest(`API.INVALID_${name.toUpperCase()}`, `${name} must be a date and time like 2024-01-31T00:00:00`, name);
  return ms;
};

export function registerAlarmRoutes(app: FastifyInstance, deps: { alarms: AlarmService; rules: RuleRunner; positions: () => number; access?: Access }): void {
  const { alarms, rules, access } = deps;
  // an alarm belongs to its point (a rule's to the object it diagnosed): a privilege-limited user sees and handles
  // the alarms of the objects it reaches (alarms/subject.ts)
  const sees = (req: Parameters<typeof principalOf>[0], a: Row) => seesAlarm(access, principalOf(req), a as unknown as AlarmRef);
  const mayAlarm = (req: Parameters<typeof principalOf>[0], id: number) => {
    const p = principalOf(req);
    if (!access || p.isAdmin || p.spaces === null) return id;
    let alarm: Row | null = null;
    try {
      alarm = alarms.get(id);
    } catch {
      /* unknown alarm: refused like one outside the privilege, so ids cannot be probed */
    }
    if (!alarm || !sees(req, alarm)) throw forbidden('API.NO_PRIVILEGE', `your privilege does not include alarm ${id}`);
    return id;
  };
  const user = (req: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(req);
    return { id: p.userId, name: p.userName };
  };

  app.get('/api/alarms', async (req) => {
    principalOf(req);
    const state = (req.query as Row).state ?? 'annunciated';
    if (!ALARM_FILTERS.includes(state as AlarmFilter)) throw badRequest('API.INVALID_STATE', `state must be one of ${ALARM_FILTERS.join(', ')}`, 'state');
    return alarms.list(state as AlarmFilter).filter((a) => sees(req, a));
  });
  app.get('/api/alarms/summary', async (req) => {
    const p = principalOf(req);
    // the banner of a privilege-limited user counts its own alarms
    const s = alarms.summary(access && !p.isAdmin && p.spaces !== null ? (r) => seesAlarm(access, p, r) : undefined);
    return { unacknowledged_alarms: s.unacknowledged, highest_alarm_priority: s.highestPriority, newest_unacknowledged: s.newest };
  });
  app.get('/api/alarms/performance', async (req) => {
    principalOf(req);
    const q = req.query as Row;
    const to = time(q.enddatetime, 'enddatetime', Date.now());
    const from = time(q.startdatetime, 'startdatetime', to - 24 * 3_600_000);
    if (from >= to) throw badRequest('API.INVALID_STARTDATETIME', 'startdatetime must be before enddatetime', 'startdatetime');
    const positions = q.positions === undefined ? deps.positions() : Number(q.positions);
    if (!Number.isInteger(positions) || positions < 1 || positions > 1000) throw badRequest('API.INVALID_POSITIONS', 'positions must be an integer from 1 to 1000', 'positions');
    return alarms.performance(from, to, positions);
  });
  app.put('/api/alarms/ack', { config: { role: 'operate' } }, async (req) => {
    const d = dataOf(req.body) as Row | undefined;
    if (!d || typeof d !== 'object') throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"ids":[1,2],"comment":"..."}}', 'data');
    const ids = parseIds(d.ids);
    for (const id of ids) mayAlarm(req, id);
    const c = comment(d);
    return guard(() => alarms.acknowledgeMany(ids, user(req), c));
  });
  app.get('/api/alarms/:id', async (req) => {
    principalOf(req);
    return guard(() => alarms.get(mayAlarm(req, idParam((req.params as Row).id))));
  });
  app.get('/api/alarms/:id/history', async (req) => {
    principalOf(req);
    return guard(() => alarms.history(mayAlarm(req, idParam((req.params as Row).id))));
  });
  app.put('/api/alarms/:id/ack', { config: { role: 'operate' } }, async (req) => {
    const id = mayAlarm(req, idParam((req.params as Row).id));
    const c = comment(dataOf(req.body) as Row | undefined);
    return guard(() => alarms.acknowledge(id, user(req), c));
  });
  app.put('/api/alarms/:id/shelve', { config: { role: 'operate' } }, async (req) => {
    const id = mayAlarm(req, idParam((req.params as Row).id));
    const d = dataOf(req.body) as Row | undefined;
    if (!d || typeof d !== 'object') throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"minutes":30,"reason":"..."}}', 'data');
    const minutes = typeof d.minutes === 'string' && d.minutes.trim() !== '' ? Number(d.minutes) : d.minutes;
    if (typeof minutes !== 'number') throw badRequest('API.INVALID_MINUTES', 'minutes must be a number', 'minutes');
    if (typeof d.reason !== 'string') throw badRequest('API.INVALID_REASON', 'a shelving reason is required', 'reason');
    if (d.reason.length > 2000) throw badRequest('API.INVALID_REASON', 'reason must be at most 2000 characters', 'reason');
    const reason = d.reason;
    return guard(() => alarms.shelve(id, user(req), minutes, reason));
  });
  app.put('/api/alarms/:id/unshelve', { config: { role: 'operate' } }, async (req) => {
    const id = mayAlarm(req, idParam((req.params as Row).id));
    return guard(() => alarms.unshelve(id, user(req)));
  });
  app.put('/api/alarms/:id/outofservice', async (req) => {
    const p = principalOf(req);
    const id = idParam((req.params as Row).id);
    const d = dataOf(req.body) as Row | undefined;
    if (!d || typeof d.out_of_service !== 'boolean') throw badRequest('API.INVALID_OUT_OF_SERVICE', 'the body must be {"data":{"out_of_service":true|false,"comment":"..."}}', 'out_of_service');
    const c = comment(d);
    const on = d.out_of_service;
    return guard(() => alarms.setOutOfService(id, { id: p.userId, name: p.userName }, on, c));
  });

  app.put('/api/rules/:id/run', async (req) => {
    principalOf(req);
    const id = idParam((req.params as Row).id);
    const result = rules.run(id);
    if (!result) throw notFound('API.RULE_NOT_FOUND', `rule ${id} does not exist`);
    return result;
  });
}

export { ApiError };
