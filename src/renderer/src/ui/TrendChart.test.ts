import { describe, expect, it } from 'vitest';
import { chartOption, plotWidth, trendCsv } from './TrendChart';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const pens = [
  { pointId: 1, name: 'PV Power', units: 'kW', samples: [[t0, 10], [t0 + 1000, 11]] as [number, number | null][] },
  { pointId: 2, name: 'Battery SOC', units: '%', samples: [[t0 + 1000, 55]] as [number, number | null][] },
  { pointId: 3, name: 'Grid, import', units: 'kW', samples: [[t0, null]] as [number, number | null][] },
];

describe('trends', () => {
  it('exports one row per timestamp and one column per pen', () => {
    expect(trendCsv(pens)).toBe(
      ['utc_date_time,PV Power [kW],Battery SOC [%],"Grid, import [kW]"', '2026-11-22T10:00:00.000Z,10,,', '2026-11-22T10:00:01.000Z,11,55,', ''].join('\n'),
    );
  });

  it('gives each unit its own y-axis', () => {
    const o = chartOption(pens) as { yAxis: { name: string }[]; series: { yAxisIndex: number }[] };
    expect(o.yAxis.map((a) => a.name)).toEqual(['kW', '%']);
    expect(o.series.map((s) => s.yAxisIndex)).toEqual([0, 1, 0]);
  });

  it('asks for as many samples as the plot has pixels across (the chart less its y-axes)', () => {
    expect(plotWidth(1920, ['kW'])).toBe(1920 - 60 - 30);
    expect(plotWidth(1920, ['kW', '%', 'kW'])).toBe(1920 - 60 - 30 - 60);
    expect(plotWidth(1000, [])).toBe(1000 - 90);
    expect(plotWidth(50, ['kW'])).toBe(100);
  });

  it('draws an empty chart (while loading) without crashing echarts', async () => {
    const echarts = await import('echarts');
    const c = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 400, height: 200 });
    c.setOption(chartOption(pens) as never, { notMerge: true });
    c.setOption(chartOption([]) as never, { notMerge: true });
    expect(c.renderToSVGString()).toContain('<svg');
    c.dispose();
  });
});
