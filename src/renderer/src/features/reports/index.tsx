/** Energy report: each meter's consumption over a period (last minus first reading of its energy point), CSV export. */
import { useState } from 'react';
import { api } from '../../app/api';
import { download } from '../../ui/data';
import { formatNumber } from '../../ui/format';

interface Meter {
  id: number;
  name: string;
  energy_category?: { name: string };
}
interface Point {
  id: number;
  name: string;
  units: string;
  object_type: string;
}
interface Row {
  meter: string;
  category: string;
  point: string;
  units: string;
  start: number | null;
  end: number | null;
}

const today = () => new Date().toISOString().slice(0, 10);

export async function meterReport(from: number, to: number): Promise<Row[]> {
  const meters = await api.get<Meter[]>('/meters');
  const rows: Row[] = [];
  for (const m of meters) {
    const points = await api.get<Point[]>(`/meters/${m.id}/points`).catch(() => [] as Point[]);
    for (const p of points.filter((x) => x.object_type === 'ENERGY_VALUE')) {
      const q = new URLSearchParams({ startdatetime: new Date(from).toISOString(), enddatetime: new Date(to).toISOString(), maxpoints: '4' });
      const t = await api.get<{ values: { value: number | null }[] }>(`/points/${p.id}/trend?${q}`);
      const nums = t.values.map((v) => v.value).filter((v): v is number => typeof v === 'number');
      rows.push({ meter: m.name, category: m.energy_category?.name ?? '', point: p.name, units: p.units, start: nums[0] ?? null, end: nums.at(-1) ?? null });
    }
  }
  return rows;
}

export default function ReportsScreen() {
  const [from, setFrom] = useState(today());
  const [to, setTo] = useState(today());
  const [rows, setRows] = useState<Row[] | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      setRows(await meterReport(Date.parse(`${from}T00:00:00`), Date.parse(`${to}T23:59:59`)));
    } finally {
      setBusy(false);
    }
  };
  const csv = () =>
    ['meter,category,point,units,start,end,consumption', ...(rows ?? []).map((r) => [r.meter, r.category, r.point, r.units, r.start ?? '', r.end ?? '', r.start !== null && r.end !== null ? r.end - r.start : ''].join(','))].join('\n') + '\n';
  return (
    <section className="screen reports">
      <h1>Energy report</h1>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          From <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Running…' : 'Run report'}
        </button>
        <button type="button" disabled={!rows?.length} onClick={() => download(`energy-${from}-${to}.csv`, csv())}>
          Export CSV
        </button>
      </form>
      {rows && (
        <table className="grid" aria-label="Meter consumption">
          <thead>
            <tr>
              <th>Meter</th>
              <th>Category</th>
              <th>Point</th>
              <th>Consumption</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.meter}-${r.point}`}>
                <td>{r.meter}</td>
                <td>{r.category}</td>
                <td>{r.point}</td>
                <td className="num">{r.start !== null && r.end !== null ? `${formatNumber(r.end - r.start, '0.0')} ${r.units}` : 'no data'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
