/** Trends: pick points, a time range preset, zoom/pan in the chart, a live tail, CSV export. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../../app/api';
import { download, loadPen } from '../../ui/data';
import { pointLabel, remoteSites, type NamedPoint } from '../../ui/sites';
import { type Pen, plotWidth, TrendChart, trendCsv } from '../../ui/TrendChart';

interface Point extends NamedPoint {
  id: number;
  name: string;
  units: string;
  is_trend: boolean;
}

export const PRESETS: [string, number][] = [
  ['1 h', 3_600_000],
  ['8 h', 8 * 3_600_000],
  ['24 h', 24 * 3_600_000],
  ['7 d', 7 * 24 * 3_600_000],
];

const MAX_PENS = 8;

export default function TrendsScreen() {
  const [points, setPoints] = useState<Point[]>([]);
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<number[]>(() => {
    const m = /[?&]points=([\d,]+)/.exec(window.location.hash);
    return m ? m[1].split(',').map(Number).slice(0, MAX_PENS) : [];
  });
  const [span, setSpan] = useState(PRESETS[0][1]);
  const [tail, setTail] = useState(true);
  const [pens, setPens] = useState<Pen[]>([]);
  const [error, setError] = useState<string | null>(null);
  const main = useRef<HTMLDivElement>(null);

  useEffect(() => {
    // a remote site's points are named `site / device / metric` (a central server's sites, ui/sites.ts)
    void Promise.all([api.get<Point[]>('/points'), remoteSites()]).then(([ps, sites]) => setPoints(ps.filter((p) => p.is_trend).map((p) => ({ ...p, name: pointLabel(p, sites) }))));
  }, []);

  const chosen = useMemo(() => selected.map((id) => points.find((p) => p.id === id)).filter((p): p is Point => Boolean(p)), [selected, points]);

  const load = useCallback(async () => {
    const to = Date.now();
    // as many samples as the plot has pixels across: more could not be drawn, fewer would lose detail
    const width = plotWidth(main.current?.clientWidth || Math.round(window.innerWidth * 0.8), chosen.map((p) => p.units));
    try {
      setPens(await Promise.all(chosen.map((p) => loadPen(p, to - span, to, width))));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [chosen, span]);

  useEffect(() => {
    void load();
    if (!tail) return;
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, [load, tail]);

  const toggle = (id: number) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : s.length >= MAX_PENS ? s : [...s, id]));
  const filtered = points.filter((p) => p.name.toLowerCase().includes(search.toLowerCase()));

  return (
    <section className="screen trends">
      <aside className="pen-picker" aria-label="Points">
        <input type="search" placeholder="Search points" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Search points" />
        <ul>
          {filtered.map((p) => (
            <li key={p.id}>
              <label>
                <input type="checkbox" checked={selected.includes(p.id)} onChange={() => toggle(p.id)} disabled={!selected.includes(p.id) && selected.length >= MAX_PENS} />
                {p.name} {p.units ? <small>[{p.units}]</small> : null}
              </label>
            </li>
          ))}
        </ul>
      </aside>
      <div className="trend-main" ref={main}>
        <div className="toolbar" role="toolbar" aria-label="Time range">
          {PRESETS.map(([label, ms]) => (
            <button key={label} type="button" aria-pressed={span === ms} onClick={() => setSpan(ms)}>
              {label}
            </button>
          ))}
          <label>
            <input type="checkbox" checked={tail} onChange={(e) => setTail(e.target.checked)} /> Live tail
          </label>
          <button type="button" disabled={!pens.length} onClick={() => download(`trend-${new Date().toISOString().slice(0, 19)}.csv`, trendCsv(pens))}>
            Export CSV
          </button>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {chosen.length ? <TrendChart pens={pens} height={Math.max(320, window.innerHeight - 260)} /> : <p>Choose up to {MAX_PENS} points on the left.</p>}
      </div>
    </section>
  );
}
