/**
 * The plain energy read the reports build on: `GET /api/{meters|virtualmeters|offlinemeters}/{id}/energy
 * ?startdatetime=&enddatetime=&periodtype=` answers the stored values per local period with their cost, carbon
 * and flags. Times without a zone are the meter's local time (as MyEMS sends them); with Z or an offset they
 * are taken as given. Bad input is a 400 naming the parameter.
 */
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { badRequest } from '../api/errors';
import { principalOf } from '../api/server';
import { EnergyQueryError, type EnergyService, type PeriodType, type SubjectKind } from './contract';

const ZONED = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

export function parseLocal(text: unknown, field: string, zone: string): number {
  if (typeof text !== 'string' || text.trim() === '') throw badRequest(`API.INVALID_${field.toUpperCase()}`, `${field} is required, e.g. 2026-03-01T00:00:00`, field);
  const s = text.trim();
  const dt = ZONED.test(s) ? DateTime.fromISO(s, { setZone: true }) : DateTime.fromISO(s, { zone });
  if (!dt.isValid) throw badRequest(`API.INVALID_${field.toUpperCase()}`, `${field} "${s.slice(0, 40)}" is not an ISO 8601 date and time`, field);
  return dt.toMillis();
}

const fail = (e: unknown) => {
  if (e instanceof EnergyQueryError) return badRequest(`API.INVALID_${e.field.toUpperCase()}`, e.message, e.field);
  return e;
};

export function registerEnergyRoutes(app: FastifyInstance, energy: EnergyService): void {
  for (const kind of ['meters', 'virtualmeters', 'offlinemeters'] as SubjectKind[]) {
    app.get(`/api/${kind}/:id/energy`, async (req) => {
      principalOf(req);
      const raw = (req.params as { id: string }).id;
      const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
      const q = req.query as Record<string, string | undefined>;
      try {
        if (!Number.isSafeInteger(id) || id < 1) throw new EnergyQueryError('id', `${kind} id must be a positive integer`);
        const periodType = (q.periodtype ?? 'hourly') as PeriodType;
        let zone: string;
        try {
          zone = energy.timezoneOf(kind, id);
        } catch {
          zone = 'UTC';
        }
        const start = parseLocal(q.startdatetime, 'startdatetime', zone);
        const end = parseLocal(q.enddatetime, 'enddatetime', zone);
        const r = energy.query({ kind, id, start, end, periodType });
        const cat = r.categories[0];
        return {
          id,
          kind,
          timezone: r.timezone,
          periodtype: periodType,
          energy_category: cat ? { id: cat.id, name: cat.name, unit_of_measure: cat.unit } : null,
          values: r.periods.map((p, i) => {
            const missing = cat ? cat.missingHours[i] : p.hours;
            const estimated = cat ? cat.estimatedHours[i] : 0;
            const flagged = cat ? cat.flaggedHours[i] : 0;
            return {
              start_datetime_local: p.local,
              utc_date_time: new Date(p.start).toISOString(),
              hours: p.hours,
              value: cat ? cat.values[i] : null,
              cost: cat ? cat.cost[i] : null,
              kgce: cat ? cat.kgce[i] : null,
              kgco2e: cat ? cat.kgco2e[i] : null,
              missing: missing > 0,
              estimated: estimated > 0,
              flagged: flagged > 0,
              missing_hours: missing,
              estimated_hours: estimated,
              flagged_hours: flagged,
            };
          }),
        };
      } catch (e) {
        throw fail(e);
      }
    });
  }
}
