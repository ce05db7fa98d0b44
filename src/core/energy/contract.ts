/**
 * What the energy pipeline offers to the rest of the runtime (reports, dashboards, control). The pipeline
 * (src/core/energy) owns the tables; every other feature reads energy, cost and carbon only through this
 * interface, looked up as `ctx.services.get('energy') as EnergyService`.
 *
 * Time: instants are UTC milliseconds. Periods (hour, day, ISO week starting Monday, month, year) are the
 * subject's local calendar in its IANA zone, DST honoured (a spring-forward day has 23 hours and is one day).
 */

export type PeriodType = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
export const PERIOD_TYPES: readonly PeriodType[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

/** Entities whose energy the pipeline computes (the MyEMS entity kinds, by their API path). */
export type SubjectKind = 'meters' | 'virtualmeters' | 'offlinemeters' | 'spaces' | 'equipments' | 'combinedequipments' | 'tenants' | 'stores' | 'shopfloors';

export interface EnergyQuery {
  kind: SubjectKind;
  id: number;
  /** [start, end) in UTC ms; the pipeline widens neither end: callers align them to local period starts */
  start: number;
  end: number;
  periodType: PeriodType;
  /** spaces, equipment and combined equipment: input (consumed, the default) or output energy */
  direction?: 'input' | 'output';
}

export interface EnergyPeriod {
  /** UTC ms of the local period's start */
  start: number;
  /** the local start as MyEMS prints it: 'YYYY-MM-DDTHH:mm:ss' without offset */
  local: string;
  /** hours in the period (23 or 25 on DST days) */
  hours: number;
}

/** One series per energy category (or per energy item): values per period, aligned with `periods`. */
export interface EnergySeries {
  id: number;
  name: string;
  unit: string;
  /** energy per period; null when no hour of the period is known (missing is never 0) */
  values: (number | null)[];
  /** cost per period in the tariff's currency; null when the energy is null or no tariff applies */
  cost: (number | null)[];
  /** standard coal (kgce) and carbon (kgCO2e) per period, from the category's factors */
  kgce: (number | null)[];
  kgco2e: (number | null)[];
  /** hours per period that had no value (neither measured nor estimated) */
  missingHours: number[];
  estimatedHours: number[];
  flaggedHours: number[];
}

export interface EnergyResult {
  /** the IANA zone the periods are in */
  timezone: string;
  periods: EnergyPeriod[];
  /** by energy category (ordered by category id) */
  categories: EnergySeries[];
  /** by energy item, for meters that have one (ordered by item id) */
  items: EnergySeries[];
}

/** A range of a subject's hours to sum by local time of day (see timeofday.ts). */
export interface TimeOfDayQuery {
  kind: SubjectKind;
  id: number;
  /** [start, end) in UTC ms, at most ten years */
  start: number;
  end: number;
  direction?: 'input' | 'output';
  /** further instants to cut the spans at (e.g. where a tariff starts or ends) */
  cuts?: readonly number[];
}

export interface TimeOfDaySeries {
  /** the energy category's (or item's) id */
  id: number;
  /** per span: the local time of day (ms after local midnight) of the summed hours' starts, and their energy and cost */
  sums: Map<number, { value: number; cost: number }>[];
}

export interface TimeOfDaySums {
  timezone: string;
  /** the range cut at every change of the zone's offset and at each of the query's cuts; offset in minutes */
  spans: { start: number; end: number; offset: number }[];
  categories: TimeOfDaySeries[];
  items: TimeOfDaySeries[];
}

export interface EnergyService {
  /** energy, cost and carbon of a subject per period; throws EnergyQueryError for bad input */
  query(q: EnergyQuery): EnergyResult;
  /** the clean hours' energy and cost summed by local time of day, in spans of one offset; throws EnergyQueryError */
  timeOfDay(q: TimeOfDayQuery): TimeOfDaySums;
  /** the IANA zone of a subject (its space's, else the installation's) */
  timezoneOf(kind: SubjectKind, id: number): string;
  /** resolves when everything queued for recomputation so far is stored (tests, reports that must be exact) */
  settled(): Promise<void>;
}

export class EnergyQueryError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
