import * as echarts from 'echarts';
import { describe, expect, it } from 'vitest';
import { sankeyOption } from './EnergyFlow';

describe('energy flow sankey', () => {
  const nodes = [
    { id: 1, name: 'Grid' },
    { id: 2, name: 'Busbar' },
    { id: 3, name: 'Building' },
  ];
  const links = [
    { link: { id: 1, source_node_id: 1, target_node_id: 2, meter_uuid: 'a' }, pointId: 10 },
    { link: { id: 2, source_node_id: 2, target_node_id: 3, meter_uuid: 'b' }, pointId: 11 },
  ];

  it('sizes links by their meters live power; an abnormal value carries no flow', () => {
    const o = sankeyOption(nodes, links, { 10: { value: -42, quality: 'good' }, 11: { value: 40, quality: 'comm_fail' } }) as { series: { links: { source: string; target: string; value: number }[] }[] };
    expect(o.series[0].links).toEqual([
      { source: 'Grid', target: 'Busbar', value: 42, text: '42.0 kW' },
      { source: 'Busbar', target: 'Building', value: 0.001, text: '--- kW (communication failure)' },
    ]);
    const c = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 400, height: 300 });
    c.setOption(o as never);
    const svg = c.renderToSVGString();
    expect(svg).toContain('Building');
    // each flow's value and unit is printed on the diagram
    expect(svg).toContain('42.0 kW');
    expect(svg).toContain('--- kW (communication failure)');
    c.dispose();
  });
});
