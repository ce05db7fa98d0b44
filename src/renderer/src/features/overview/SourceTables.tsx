/** Every data source with its status, and the live values of the selected one's points (a faceplate on click). */
import { useEffect, useState } from 'react';
import { api } from '../../app/api';
import { talksToDevice } from '../../../../shared/protocols';
import { Faceplate } from '../../ui/Faceplate';
import { PointValue } from '../../ui/PointValue';

export interface DataSource {
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

export function SourceTables({ sources }: { sources: DataSource[] }) {
  const [points, setPoints] = useState<Point[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [faceplate, setFaceplate] = useState<number | null>(null);
  useEffect(() => {
    void api
      .get<Point[]>('/points')
      .then(setPoints)
      .catch(() => undefined);
  }, []);
  const current = selected ?? sources[0]?.id ?? null;
  const shown = points.filter((p) => (p.data_source?.id ?? p.data_source_id) === current);
  return (
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
          {sources.map((d) => {
            const device = talksToDevice(d.protocol);
            return (
              <tr key={d.id} className={d.id === current ? 'selected' : undefined} onClick={() => setSelected(d.id)} tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && setSelected(d.id)}>
                <td>{d.name}</td>
                <td>{d.protocol}</td>
                <td className={!device || d.status !== 'offline' ? '' : 'abnormal'}>{!device ? '-' : d.status === 'online' ? 'online' : d.status === 'connecting' ? 'connecting…' : '✕ offline'}</td>
                <td>{d.last_seen_datetime ?? '-'}</td>
              </tr>
            );
          })}
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
      {faceplate !== null && <Faceplate pointId={faceplate} onClose={() => setFaceplate(null)} />}
    </div>
  );
}
