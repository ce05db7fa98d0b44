/**
 * Chart images for workbooks: echarts' server-side SVG renderer, rasterised to PNG by resvg (exceljs has no
 * native charts). Both load on first use.
 */
import type { ChartSpec } from './doc';

type Echarts = typeof import('echarts');
type ResvgMod = typeof import('@resvg/resvg-js');
let libs: Promise<[Echarts, ResvgMod]> | null = null;
const load = () => (libs ??= Promise.all([import('echarts'), import('@resvg/resvg-js')]));

const PALETTE = ['#2f6fb3', '#e38b2c', '#3d9a5b', '#c44e52', '#8172b2', '#937860', '#da8bc3', '#8c8c8c', '#ccb974', '#64b5cd'];

/** The echarts option of a chart spec (also what the screen draws). */
export function chartOption(c: ChartSpec): Record<string, unknown> {
  return {
    animation: false,
    color: PALETTE,
    backgroundColor: '#ffffff',
    title: { text: c.title, left: 'center', textStyle: { fontSize: 14, fontFamily: 'DejaVu Sans, sans-serif' } },
    legend: { bottom: 0, textStyle: { fontFamily: 'DejaVu Sans, sans-serif' } },
    grid: { left: 70, right: 24, top: 48, bottom: 56 },
    xAxis: { type: 'category', data: c.categories, axisLabel: { fontFamily: 'DejaVu Sans, sans-serif' } },
    yAxis: { type: 'value', name: c.unit, axisLabel: { fontFamily: 'DejaVu Sans, sans-serif' } },
    series: c.series.map((s) => ({ name: s.name, type: c.kind, data: s.values, stack: c.stacked ? 'total' : undefined, connectNulls: false, showSymbol: c.categories.length <= 60 })),
  };
}

/** PNG bytes of the chart. */
export async function renderChartPng(c: ChartSpec, width = 960, height = 420): Promise<Buffer> {
  const [echarts, { Resvg }] = await load();
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  let svg: string;
  try {
    chart.setOption(chartOption(c));
    svg = chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
  const png = new Resvg(svg, { fitTo: { mode: 'width', value: width }, background: '#ffffff', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return Buffer.from(png);
}
