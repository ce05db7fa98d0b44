/**
 * Explicit estimation, per meter and off unless asked for: `POST /api/meters/{id}/estimates`
 * `{"data":{"startdatetime","enddatetime"}}` fills the gaps in the range by linear interpolation (marked
 * estimated); `GET` lists them; `DELETE /api/meters/{id}/estimates/{eid}` undoes one (its range's estimated hours
 * go). Both are audited. Measured values always win: a reading that arrives later replaces an estimate.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../api/errors';
import { dataOf, idParam, principalOf } from '../api/server';
import type { RuntimeContext } from '../feature';
import { floorHour, HOUR } from './normalize';
import type { EnergyPipeline } from './pipeline';
import { MAX_HOURLY_MS } from './query';
import { parseLocal } from './routes';
import { METER_KIND } from './storage';

interface EstimateRow {
  id: number;
  meter_id: number;
  start_hour: number;
  end_hour: number;
  hours: number;
  created_at: string;
  user_name: string;
  undone_at: string | null;
}

const shape = (r: EstimateRow) => ({
  id: r.id,
  meter_id: r.meter_id,
  startdatetime: new Date(r.start_hour).toISOString(),
  enddatetime: new Date(r.end_hour).toISOString(),
  hours: r.hours,
  created_datetime: r.created_at,
  user_display_name: r.user_name,
  undone_datetime: r.undone_at,
});

export function registerEstimateRoutes(app: FastifyInstance, ctx: RuntimeContext, pipeline: EnergyPipeline): void {
  const db = ctx.store.db;
  const meterOf = (raw: string) => {
    const id = idParam(raw);
    const m = pipeline.meter(METER_KIND.meters, id);
    if (!m) throw notFound('API.METER_NOT_FOUND', `Meter ${id} does not exist`);
    return m;
  };

  app.get('/api/meters/:id/estimates', async (req) => {
    principalOf(req);
    const m = meterOf((req.params as { id: string }).id);
    return (db.prepare('SELECT * FROM energy_estimates WHERE kind = 0 AND meter_id = ? ORDER BY id').all(m.id) as EstimateRow[]).map(shape);
  });

  app.post('/api/meters/:id/estimates', async (req, reply) => {
    const p = principalOf(req);
    const m = meterOf((req.params as { id: string }).id);
    const data = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    if (typeof data !== 'object' || Array.isArray(data)) throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"startdatetime","enddatetime"}}', 'data');
    const from = floorHour(parseLocal(data.startdatetime, 'startdatetime', m.zone));
    const to = Math.ceil(parseLocal(data.enddatetime, 'enddatetime', m.zone) / HOUR) * HOUR;
    if (to <= from) throw badRequest('API.INVALID_ENDDATETIME', 'enddatetime must be after startdatetime', 'enddatetime');
    if (to - from > MAX_HOURLY_MS) throw badRequest('API.INVALID_ENDDATETIME', `an estimate may span at most ${MAX_HOURLY_MS / 86_400_000} days`, 'enddatetime');
    await pipeline.settled();
    const hours = pipeline.estimate(m, from, to);
    const id = Number(
      db.prepare('INSERT INTO energy_estimates (kind, meter_id, start_hour, end_hour, hours, created_at, user_name) VALUES (0, ?, ?, ?, ?, ?, ?)').run(m.id, from, to, hours, new Date().toISOString().slice(0, 19), p.userName)
        .lastInsertRowid,
    );
    const row = shape(db.prepare('SELECT * FROM energy_estimates WHERE id = ?').get(id) as EstimateRow);
    ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'energy.estimate', target: `meters:${m.id}`, newValue: row, result: 'ok' });
    reply.code(201);
    return row;
  });

  app.delete('/api/meters/:id/estimates/:eid', async (req, reply) => {
    const p = principalOf(req);
    const params = req.params as { id: string; eid: string };
    const m = meterOf(params.id);
    const r = db.prepare('SELECT * FROM energy_estimates WHERE id = ? AND kind = 0 AND meter_id = ?').get(idParam(params.eid, 'eid'), m.id) as EstimateRow | undefined;
    if (!r) throw notFound('API.ESTIMATE_NOT_FOUND', `estimate ${params.eid} of meter ${m.id} does not exist`);
    if (r.undone_at) throw badRequest('API.ESTIMATE_ALREADY_UNDONE', `estimate ${r.id} was undone at ${r.undone_at}`, 'eid');
    const removed = pipeline.unestimate(m, r.start_hour, r.end_hour);
    db.prepare('UPDATE energy_estimates SET undone_at = ? WHERE id = ?').run(new Date().toISOString().slice(0, 19), r.id);
    ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'energy.estimate.undo', target: `meters:${m.id}`, oldValue: shape(r), newValue: { removed }, result: 'ok' });
    return reply.code(204).send();
  });
}
