/** One chart of a report document: echarts bars (stacked by energy category or item where the report says so) or lines. */
import * as echarts from 'echarts';
import { useEffect, useRef } from 'react';
import type { ReportDoc } from './model';

export function ReportChart({ chart }: { chart: ReportDoc['charts'][number] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const c = echarts.init(host.current, undefined, { renderer: 'canvas' });
    c.setOption({
      animation: false,
      title: { text: chart.title, left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 70, right: 20, top: 36, bottom: 50 },
      xAxis: { type: 'category', data: chart.categories },
      yAxis: { type: 'value', name: chart.unit },
      series: chart.series.map((s) => ({ name: s.name, type: chart.kind, stack: chart.stacked ? 'total' : undefined, data: s.values, connectNulls: false })),
    });
    const resize = () => c.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      c.dispose();
    };
  }, [chart]);
  return <div ref={host} className="report-chart" style={{ height: 340 }} role="img" aria-label={`${chart.title} chart`} />;
}
