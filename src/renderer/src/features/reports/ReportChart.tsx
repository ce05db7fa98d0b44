/** The report's chart: echarts bars stacked by energy category or item (lines for load and statistics). */
import * as echarts from 'echarts';
import { useEffect, useRef } from 'react';
import type { View } from './model';

export function ReportChart({ view }: { view: View }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const chart = echarts.init(host.current, undefined, { renderer: 'canvas' });
    const lines = !view.stacked && view.series.length > 1;
    chart.setOption({
      animation: false,
      title: { text: view.chartTitle, left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 70, right: 20, top: 36, bottom: 50 },
      xAxis: { type: 'category', data: view.timestamps },
      yAxis: { type: 'value', name: [...new Set(view.series.map((s) => s.unit))].join(', ') },
      series: view.series.map((s) => ({ name: s.name, type: lines ? 'line' : 'bar', stack: view.stacked ? 'total' : undefined, data: s.values, connectNulls: false })),
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [view]);
  return <div ref={host} className="report-chart" style={{ height: 340 }} role="img" aria-label={`${view.chartTitle} chart`} />;
}
