/**
 * A multi-pen trend: echarts line series, one y-axis per unit, zoom and pan (inside + slider), fetched from the
 * trend endpoint with maxpoints about the chart's pixel width, so a day of 1-second data opens at once.
 */
import * as echarts from 'echarts';
import { useEffect, useRef } from 'react';

export interface Pen {
  pointId: number;
  name: string;
  units: string;
  samples: [number, number | null][];
}

const unitsOf = (units: string[]) => (units.length ? [...new Set(units.map((u) => u || '-'))] : ['-']);
const gridOf = (axes: number) => ({ left: 60, right: 30 + Math.max(0, axes - 1) * 60, top: 40, bottom: 70 });

/** The plot's width in pixels (the chart's, less the y-axes' margins): the samples worth asking for. */
export function plotWidth(chartWidth: number, units: string[]): number {
  const g = gridOf(unitsOf(units).length);
  return Math.max(100, Math.round(chartWidth - g.left - g.right));
}

export function chartOption(pens: Pen[]): echarts.EChartsCoreOption {
  // at least one y-axis: echarts cannot draw a cartesian grid without one (the chart is empty while loading)
  const units = unitsOf(pens.map((p) => p.units));
  return {
    animation: false,
    grid: gridOf(units.length),
    tooltip: { trigger: 'axis' },
    legend: { top: 4, data: pens.map((p) => p.name) },
    xAxis: { type: 'time' },
    yAxis: units.map((u, i) => ({ type: 'value', name: u, position: i === 0 ? 'left' : 'right', offset: i > 1 ? (i - 1) * 60 : 0, scale: true, axisLine: { show: true } })),
    dataZoom: [{ type: 'inside' }, { type: 'slider', bottom: 10 }],
    series: pens.map((p) => ({
      type: 'line',
      name: p.name,
      yAxisIndex: units.indexOf(p.units || '-'),
      showSymbol: false,
      sampling: 'lttb',
      data: p.samples,
    })),
  };
}

/**
 * Each drawn set of pens (performance.now() when echarts finished painting it, its first sample, its sample
 * count), for the trend-screen benchmark (click to drawn) and for diagnosing a slow chart. The last 50 are kept.
 */
export interface TrendDrawn {
  at: number;
  first: number;
  samples: number;
}
function recordDrawn(d: TrendDrawn): void {
  const w = window as unknown as { __switchyardTrendDrawn?: TrendDrawn[] };
  const list = (w.__switchyardTrendDrawn ??= []);
  list.push(d);
  if (list.length > 50) list.shift();
}

export function TrendChart({ pens, height = 360 }: { pens: Pen[]; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const pending = useRef<Omit<TrendDrawn, 'at'> | null>(null);
  useEffect(() => {
    if (!host.current) return;
    chart.current = echarts.init(host.current, undefined, { renderer: 'canvas' });
    chart.current.on('finished', () => {
      if (!pending.current) return;
      recordDrawn({ at: performance.now(), ...pending.current });
      pending.current = null;
    });
    const resize = () => chart.current?.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    // a new set of pens replaces the whole option (axes follow the units); the operator's zoom is kept
    const zoom = (c.getOption()?.dataZoom as { start?: number; end?: number }[] | undefined)?.[0];
    const option = chartOption(pens) as { dataZoom: Record<string, unknown>[] };
    if (zoom?.start !== undefined) option.dataZoom = option.dataZoom.map((z) => ({ ...z, start: zoom.start, end: zoom.end }));
    pending.current = { first: Math.min(...pens.map((p) => (p.samples.length ? p.samples[0][0] : Infinity))), samples: pens.reduce((n, p) => n + p.samples.length, 0) };
    c.setOption(option, { notMerge: true });
  }, [pens]);
  // the newest sample's time, for whoever checks that the chart follows the live tail (the e2e suite)
  const last = Math.max(0, ...pens.flatMap((p) => (p.samples.length ? [p.samples[p.samples.length - 1][0]] : [])));
  return <div ref={host} className="trend-chart" style={{ height }} role="img" aria-label={`Trend of ${pens.map((p) => p.name).join(', ')}`} data-last-sample={last || undefined} />;
}

/** CSV of the pens, one row per timestamp (ISO, UTC), one column per pen. */
export function trendCsv(pens: Pen[]): string {
  const times = [...new Set(pens.flatMap((p) => p.samples.map(([t]) => t)))].sort((a, b) => a - b);
  const lookup = pens.map((p) => new Map(p.samples));
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const header = ['utc_date_time', ...pens.map((p) => esc(p.units ? `${p.name} [${p.units}]` : p.name))].join(',');
  const rows = times.map((t) => [new Date(t).toISOString(), ...lookup.map((m) => (m.has(t) && m.get(t) !== null ? String(m.get(t)) : ''))].join(','));
  return [header, ...rows].join('\n') + '\n';
}
