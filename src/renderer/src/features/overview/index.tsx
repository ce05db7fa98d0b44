/** Overview: every data source with its status, and the live values of the selected one's points. */
import { useEffect, useState } from 'react';
import { api } from '../../app/api';
import { useLive } from '../../live/liveStore';
import { PointValue } from '../../ui/PointValue';
import { Faceplate } from '../../ui/Faceplate';

interface DataSource {
  id: number;
  name: string;
  protocol: string;
  status: string;
  last_seen_datetime: string | null;
}
interface Point {
  id: number;
  name: string;
  units: string;
  data_source: { id: number };
  data_source_id?: number;
}

export default function OverviewScreen() {
  const [sources, setSources] = useState<DataSource[]>([]);
  const [points, setPoints] = useState<Point[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [faceplate, setFaceplate] = useState<number | null>(null);
  const status = useLive((s) => s.status);

  useEffect(() => {
    let cancelled = false;
    const load = async () => {
      const [ds, ps] = await Promise.all([api.get<DataSource[]>('/datasources'), api.get<Point[]>('/points')]);
      if (cancelled) return;
      setSources(ds);
      setPoints(ps);
      setSelected((s) => s ?? ds[0]?.id ?? null);
    };
    void load().catch(() => undefined);
    const t = setInterval(() => void load().catch(() => undefined), 10_000);
    return () => {
      cancelled = true;
      clearInterval(t);
    };
  }, [status?.data_sources_offline]);

  const shown = points.filter((p) => (p.data_source?.id ?? p.data_source_id) === selected);
  return (
    <section className="screen overview">
      <h1>Overview</h1>
      <div className="split">
        <table className="grid" aria-label="Data sources">
          <thead>
            <tr>
              <th>Data source</th>
              <th>Protocol</th>
              <th>Status</th>
              <th>Last seen (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {sources.map((d) => (
              <tr key={d.id} className={d.id === selected ? 'selected' : undefined} onClick={() => setSelected(d.id)} tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && setSelected(d.id)}>
                <td>{d.name}</td>
                <td>{d.protocol}</td>
                <td className={d.status === 'online' || d.protocol === 'virtual' || d.protocol === 'manual' ? '' : 'abnormal'}>{d.status === 'online' ? 'online' : d.protocol === 'virtual' || d.protocol === 'manual' ? '-' : '✕ offline'}</td>
                <td>{d.last_seen_datetime ?? '-'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table className="grid" aria-label="Points">
          <thead>
            <tr>
              <th>Point</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={p.id} onClick={() => setFaceplate(p.id)} tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && setFaceplate(p.id)}>
                <td>{p.name}</td>
                <td className="num">
                  <PointValue pointId={p.id} units={p.units} format="0.00" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {faceplate !== null && <Faceplate pointId={faceplate} onClose={() => setFaceplate(null)} />}
    </section>
  );
}
