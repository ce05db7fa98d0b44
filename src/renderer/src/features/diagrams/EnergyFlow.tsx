/**
 * An energy flow diagram as an echarts sankey: nodes and links from the configuration, each link's width the
 * live power of the meter it names (the meter's first analog point; an abnormal value shows as no flow).
 */
import * as echarts from 'echarts';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../app/api';
import { useLive, useSubscription } from '../../live/liveStore';
import { formatNumber, QUALITY_MARK } from '../../ui/format';

interface FlowNode {
  id: number;
  name: string;
}
interface FlowLink {
  id: number;
  source_node_id: number;
  target_node_id: number;
  meter_uuid: string;
}
interface LinkPoint {
  link: FlowLink;
  pointId: number | null;
  units?: string;
}

/** A flow's value as the diagram prints it: "42.0 kW", or the quality when the value is not good. */
export function flowText(v: { value: unknown; quality: string } | undefined, units = 'kW'): string {
  if (!v || typeof v.value !== 'number') return `--- ${units}`;
  if (v.quality !== 'good') return `--- ${units} (${QUALITY_MARK[v.quality as keyof typeof QUALITY_MARK]?.label ?? v.quality})`;
  return `${formatNumber(Math.abs(v.value), '0.0')} ${units}`;
}

export function sankeyOption(nodes: FlowNode[], links: LinkPoint[], values: Record<number, { value: unknown; quality: string } | undefined>): echarts.EChartsCoreOption {
  const name = new Map(nodes.map((n) => [n.id, n.name]));
  return {
    animation: false,
    tooltip: {
      trigger: 'item',
      formatter: (p: { dataType?: string; name: string; data: { text?: string; source?: string; target?: string } }) =>
        p.dataType === 'edge' ? `${p.data.source} → ${p.data.target}: ${p.data.text}` : p.name,
    },
    series: [
      {
        type: 'sankey',
        emphasis: { focus: 'adjacency' },
        lineStyle: { color: 'source', opacity: 0.5 },
        itemStyle: { color: '#6b6b6b' },
        label: { color: '#1e1e1e' },
        // each flow's value with its unit, on the diagram itself
        edgeLabel: { show: true, color: '#1e1e1e', formatter: (p: { data: { text?: string } }) => p.data.text ?? '' },
        data: nodes.map((n) => ({ name: n.name })),
        links: links.map(({ link, pointId, units }) => {
          const v = pointId ? values[pointId] : undefined;
          const kw = v && v.quality === 'good' && typeof v.value === 'number' ? Math.abs(v.value) : 0;
          // sankey needs a positive width: a link with no flow stays drawn as a hairline
          return { source: name.get(link.source_node_id), target: name.get(link.target_node_id), value: Math.max(kw, 0.001), text: flowText(v, units || 'kW') };
        }),
      },
    ],
  };
}

export function EnergyFlow({ diagramId }: { diagramId: number }) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [links, setLinks] = useState<LinkPoint[]>([]);

  useEffect(() => {
    void (async () => {
      const [n, l, meters] = await Promise.all([
        api.get<FlowNode[]>(`/energyflowdiagrams/${diagramId}/nodes`),
        api.get<FlowLink[]>(`/energyflowdiagrams/${diagramId}/links`),
        api.get<{ id: number; uuid: string }[]>('/meters'),
      ]);
      const withPoints = await Promise.all(
        l.map(async (link) => {
          const meter = meters.find((m) => m.uuid === link.meter_uuid);
          const points = meter ? await api.get<{ id: number; object_type: string; units?: string }[]>(`/meters/${meter.id}/points`).catch(() => []) : [];
          const point = points.find((p) => p.object_type === 'ANALOG_VALUE');
          return { link, pointId: point?.id ?? null, units: point?.units };
        }),
      );
      setNodes(n);
      setLinks(withPoints);
    })().catch(() => undefined);
  }, [diagramId]);

  useSubscription(links.map((l) => l.pointId).filter((x): x is number => x !== null));
  const values = useLive((s) => s.values);

  useEffect(() => {
    if (!host.current) return;
    // SVG: the flows' labels are text in the page (screen readers, tests), and a sankey has few elements
    chart.current = echarts.init(host.current, undefined, { renderer: 'svg' });
    const resize = () => chart.current?.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.current?.dispose();
    };
  }, []);
  // a new structure replaces the chart; a live update merges into it, so an open tooltip stays open
  const structure = useRef<unknown>(null);
  useEffect(() => {
    if (!nodes.length || !chart.current) return;
    const fresh = structure.current !== links;
    structure.current = links;
    chart.current.setOption(sankeyOption(nodes, links, values), { notMerge: fresh, lazyUpdate: !fresh });
  }, [nodes, links, values]);

  return <div ref={host} className="energy-flow" style={{ height: 420 }} role="img" aria-label="Energy flow diagram" />;
}
