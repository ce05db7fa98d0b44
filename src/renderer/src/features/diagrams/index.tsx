/**
 * Diagrams: the SVGs of the configuration (the `svgs` entity) and the distribution systems' single-line
 * diagrams with their circuits, all live.
 */
import { useEffect, useState } from 'react';
import { api } from '../../app/api';
import { Diagram } from '../../diagram/Diagram';
import { PointValue } from '../../ui/PointValue';
import { EnergyFlow } from './EnergyFlow';

interface Svg {
  id: number;
  name: string;
  svg?: string;
}
interface DistributionSystem {
  id: number;
  name: string;
  /** MyEMS keeps a distribution system's SVG source inline */
  svg?: string | null;
}
interface Circuit {
  id: number;
  name: string;
  distribution_room?: string;
  switchgear?: string;
  peak_load?: number;
  points?: { id: number; name: string; units?: string }[];
}

type Choice = { kind: 'svg'; id: number } | { kind: 'distribution'; id: number } | { kind: 'flow'; id: number };

export default function DiagramsScreen() {
  const [svgs, setSvgs] = useState<Svg[]>([]);
  const [systems, setSystems] = useState<DistributionSystem[]>([]);
  const [choice, setChoice] = useState<Choice | null>(null);
  const [source, setSource] = useState<string | null>(null);
  const [circuits, setCircuits] = useState<Circuit[]>([]);
  const [flows, setFlows] = useState<{ id: number; name: string }[]>([]);

  useEffect(() => {
    void api.get<Svg[]>('/svgs').then((list) => {
      setSvgs(list);
      setChoice((c) => c ?? (list[0] ? { kind: 'svg', id: list[0].id } : null));
    });
    void api
      .get<DistributionSystem[]>('/distributionsystems')
      .then((list) => {
        setSystems(list);
        if (list[0]) setChoice({ kind: 'distribution', id: list[0].id });
      })
      .catch(() => setSystems([]));
    void api.get<{ id: number; name: string }[]>('/energyflowdiagrams').then(setFlows).catch(() => setFlows([]));
  }, []);

  useEffect(() => {
    setSource(null);
    setCircuits([]);
    if (!choice || choice.kind === 'flow') return;
    void (async () => {
      if (choice.kind === 'distribution') {
        const ds = await api.get<DistributionSystem>(`/distributionsystems/${choice.id}`);
        setSource(ds.svg ?? '');
        const list = await api.get<Circuit[]>(`/distributionsystems/${choice.id}/distributioncircuits`).catch(() => []);
        const withPoints = await Promise.all(list.map(async (c) => ({ ...c, points: await api.get<Circuit['points']>(`/distributioncircuits/${c.id}/points`).catch(() => []) })));
        setCircuits(withPoints);
        return;
      }
      const svg = await api.get<Svg>(`/svgs/${choice.id}`);
      setSource(svg.svg ?? '');
    })().catch(() => setSource(''));
  }, [choice]);

  const title =
    choice?.kind === 'distribution' ? systems.find((s) => s.id === choice.id)?.name : choice?.kind === 'flow' ? flows.find((f) => f.id === choice.id)?.name : svgs.find((s) => s.id === choice?.id)?.name;
  return (
    <section className="screen diagrams">
      <nav className="sub-nav" aria-label="Diagrams">
        {systems.length > 0 && <h2>Distribution systems</h2>}
        {systems.map((s) => (
          <button key={`d${s.id}`} type="button" aria-pressed={choice?.kind === 'distribution' && choice.id === s.id} onClick={() => setChoice({ kind: 'distribution', id: s.id })}>
            {s.name}
          </button>
        ))}
        {flows.length > 0 && <h2>Energy flow</h2>}
        {flows.map((f) => (
          <button key={`f${f.id}`} type="button" aria-pressed={choice?.kind === 'flow' && choice.id === f.id} onClick={() => setChoice({ kind: 'flow', id: f.id })}>
            {f.name}
          </button>
        ))}
        <h2>Diagrams</h2>
        {svgs.map((s) => (
          <button key={`s${s.id}`} type="button" aria-pressed={choice?.kind === 'svg' && choice.id === s.id} onClick={() => setChoice({ kind: 'svg', id: s.id })}>
            {s.name}
          </button>
        ))}
        {svgs.length === 0 && <p>No diagrams yet: add one under Configuration → SVG.</p>}
      </nav>
      <div className="diagram-area">
        {title && <h1>{title}</h1>}
        {choice?.kind === 'flow' ? <EnergyFlow diagramId={choice.id} /> : source ? <Diagram source={source} title={title ?? 'Diagram'} /> : choice ? <p>Loading…</p> : null}
        {circuits.length > 0 && (
          <table className="grid" aria-label="Circuits">
            <thead>
              <tr>
                <th>Circuit</th>
                <th>Switchgear</th>
                <th>Points</th>
              </tr>
            </thead>
            <tbody>
              {circuits.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{c.switchgear ?? '-'}</td>
                  <td>
                    {(c.points ?? []).map((p) => (
                      <div key={p.id}>
                        {p.name}: <PointValue pointId={p.id} units={p.units} />
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
