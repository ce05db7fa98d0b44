/**
 * The site's key figures from its microgrid's devices: grid import or export, PV, battery power with its state
 * of charge, and the load (loads, EV chargers, heat pumps). Each figure is one live selector returning a
 * primitive, so a value change re-renders only its own tile.
 */
import { useLive, useSubscription } from '../../live/liveStore';
import { type Device, devicePoints, powerPointOf } from '../../ui/devices';
import { formatNumber, QUALITY_MARK } from '../../ui/format';

export const SITE_KINDS = [
  { path: 'grids', label: 'Grid', sign: 1 as const },
  { path: 'photovoltaics', label: 'PV', sign: 1 as const },
  { path: 'batteries', label: 'Battery', sign: 1 as const },
  { path: 'loads', label: 'Loads', sign: -1 as const },
  { path: 'evchargers', label: 'EV chargers', sign: -1 as const },
  { path: 'heatpumps', label: 'Heat pumps', sign: -1 as const },
];

const SEP = '|';

/** "sum|quality" of the points' values (quality: the worst one; "none" when no value is known yet). */
function useSum(ids: number[]): { value: number | null; quality: string } {
  useSubscription(ids);
  const key = useLive((s) => {
    let sum = 0;
    let known = 0;
    let quality = 'good';
    for (const id of ids) {
      const v = s.values[id];
      if (!v || typeof v.value !== 'number') {
        quality = 'stale';
        continue;
      }
      sum += v.value;
      known++;
      if (v.quality !== 'good') quality = v.quality;
    }
    return known === 0 ? `${SEP}none` : `${sum}${SEP}${quality}`;
  });
  const [v, q] = key.split(SEP);
  return { value: v === '' ? null : Number(v), quality: q };
}

function Tile({ label, ids, describe, unit = 'kW', extra }: { label: string; ids: number[]; describe?: (v: number) => string; unit?: string; extra?: React.ReactNode }) {
  const { value, quality } = useSum(ids);
  if (ids.length === 0) return null;
  const mark = quality === 'good' ? null : quality === 'none' ? QUALITY_MARK.stale : QUALITY_MARK[quality as keyof typeof QUALITY_MARK];
  return (
    <div className={`figure${mark ? ' pv-abnormal' : ''}`} role="group" aria-label={label}>
      <div className="figure-label">{label}</div>
      <div className="figure-value" data-testid={`figure-${label}`}>
        {value === null ? '---' : `${formatNumber(Math.abs(value), '0.0')} ${unit}`}
        {mark && <span className="pv-quality"> {mark.glyph} {mark.label}</span>}
      </div>
      {value !== null && describe && <div className="figure-note">{describe(value)}</div>}
      {extra}
    </div>
  );
}

function Soc({ ids }: { ids: number[] }) {
  const { value } = useSum(ids);
  if (!ids.length) return null;
  return <div className="figure-note">state of charge {value === null ? '---' : `${formatNumber(value / ids.length, '0')} %`}</div>;
}

const powers = (devices: Device[] | undefined) => (devices ?? []).map(powerPointOf).filter((x): x is number => x !== null);

export function KeyFigures({ devices }: { devices: Record<string, Device[]> }) {
  const soc = (devices.batteries ?? []).flatMap((d) => devicePoints(d).filter(([l]) => l === 'soc' || l === 'state of charge').map(([, id]) => id));
  const load = [...powers(devices.loads), ...powers(devices.evchargers), ...powers(devices.heatpumps)];
  return (
    <div className="key-figures" aria-label="Key figures">
      <Tile label="Grid" ids={powers(devices.grids)} describe={(v) => (v >= 0 ? 'importing' : 'exporting')} />
      <Tile label="PV" ids={powers(devices.photovoltaics)} describe={() => 'generating'} />
      <Tile label="Battery" ids={powers(devices.batteries)} describe={(v) => (v > 0.05 ? 'discharging' : v < -0.05 ? 'charging' : 'idle')} extra={<Soc ids={soc} />} />
      <Tile label="Load" ids={load} describe={() => 'consuming'} />
    </div>
  );
}
