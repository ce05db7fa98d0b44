/**
 * A plant's energy (or billing) per period of a chosen reporting period, by device role (MyEMS
 * `energystoragepowerstationreportingenergy` / `...reportingbilling`): charge, discharge, grid buy, grid sell
 * and load, each the sum of the meters of that role, with subtotals and the split by the time-of-use peak type
 * of each hour (peaks.ts, over each meter's tariffs). `?id=|uuid=&periodtype=&reportingperiodstartdatetime=
 * &reportingperiodenddatetime=`.
 */
import type { Principal } from '../../auth/service';
import type { BuildCtx } from '../common';
import type { Built } from '../doc';
import { parseBool, parseLanguage, parsePeriodType, parseSpan, type Query } from '../params';
import { PEAK_TYPES, peakSplits, type PeakSplit } from '../peaks';
import type { StandaloneDeps } from '../standalone';
import { SUBJECTS } from '../subjects';
import { authorizePlant, currencyOfPlant, energyOf, meterSum, plantJson, plantRow, plantZone, total, type Measure, type PlantKind, type Row } from './plants';

/** the reports' name of each meter label of the devices */
const GROUPS: [string, string][] = [
  ['Charge', 'Charge'],
  ['Discharge', 'Discharge'],
  ['Buy', 'Grid buy'],
  ['Sell', 'Grid sell'],
  ['Consumption', 'Load'],
  ['Generation', 'Generation'],
];

export function buildPlantReporting(kind: PlantKind, measure: Extract<Measure, 'energy' | 'billing'>) {
  return (deps: StandaloneDeps, p: Principal, q: Query): { built: Built; quickMode: boolean } => {
    const energy = energyOf(deps);
    const row: Row = plantRow(deps.store, kind, q);
    const id = row.id as number;
    authorizePlant(deps, p, kind, id);
    const meters = kind.meters(deps.store, id);
    const zone = plantZone(energy, deps.store, meters);
    const periodType = parsePeriodType(q);
    const reporting = parseSpan(q, 'reporting', zone, periodType, true)!;
    const quickMode = parseBool(q, 'quickmode');
    const language = parseLanguage(q);
    const currency = currencyOfPlant(deps.store, row);
    const unit = measure === 'billing' ? currency : 'kWh';
    const groups = GROUPS.map(([label, name]) => ({ name, ids: meters.filter((m) => m.name.endsWith(`.${label}`)).map((m) => m.id) })).filter((g) => g.ids.length);
    const series = groups.map((g) => ({ ...g, s: meterSum(energy, g.ids, reporting.start, reporting.end, periodType, measure) }));
    // the peak split of each meter over its own tariffs, summed per group
    const splitOf = (meterIds: number[]): PeakSplit => {
      const sum: PeakSplit = { toppeak: 0, onpeak: 0, midpeak: 0, offpeak: 0, deep: 0 };
      for (const mid of meterIds) {
        const meterRow = deps.store.db.prepare('SELECT * FROM meters WHERE id = ?').get(mid) as Row;
        const ctx: BuildCtx = { store: deps.store, energy, subject: { info: SUBJECTS.meters, id: mid, row: meterRow }, params: { periodType, base: null, reporting, quickMode, language, zone }, currency };
        for (const split of peakSplits(ctx, reporting, 'categories', measure === 'billing' ? 'cost' : 'values').values()) for (const t of PEAK_TYPES) sum[t] += split[t];
      }
      return sum;
    };
    const splits = series.map((x) => splitOf(x.ids));
    const ts = series[0]?.s.timestamps ?? [];
    const json = {
      [kind.key]: plantJson(deps.store, row),
      reporting_period: {
        names: series.map((x) => x.name),
        units: series.map(() => unit),
        subtotals: series.map((x) => total(x.s)),
        timestamps: series.map((x) => x.s.timestamps),
        values: series.map((x) => x.s.values),
        missing_periods: series.map((x) => x.s.values.filter((v) => v === null).length),
        ...Object.fromEntries(PEAK_TYPES.map((t) => [`${t}s`, splits.map((sp) => sp[t])])),
      },
    };
    return {
      quickMode,
      built: {
        json,
        doc: {
          title: `${kind.label} ${measure === 'billing' ? 'Billing' : 'Energy'}`,
          subjectLabel: kind.label,
          subjectName: String(row.name),
          periodType,
          reporting: { start: reporting.startLocal, end: reporting.endLocal },
          base: null,
          timezone: zone,
          figures: series.map((x) => ({ label: x.name, unit, value: total(x.s) })),
          charts: series.length ? [{ title: `${measure === 'billing' ? 'Billing' : 'Energy'} (${unit})`, categories: ts, series: series.map((x) => ({ name: x.name, values: x.s.values })), unit, kind: 'bar', stacked: false }] : [],
          tables: [
            { title: 'Reporting Period', columns: ['Datetime', ...series.map((x) => `${x.name} (${unit})`)], rows: [...ts.map((t, i) => [t, ...series.map((x) => x.s.values[i])]), ['Subtotal', ...series.map((x) => total(x.s))]] },
            { title: 'By peak type (time-of-use tariff)', columns: ['Peak type', ...series.map((x) => x.name)], rows: PEAK_TYPES.map((t) => [t, ...splits.map((sp) => sp[t])]) },
          ],
          notes: [],
        },
      },
    };
  };
}
