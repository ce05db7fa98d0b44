/**
 * Sites: the edge nodes the central Sparkplug host knows, with their health (online, births and deaths, sequence
 * gaps, rebirth requests, values received); a site's metrics with their latest values; the trend of one metric
 * from the central store's history. Refreshed every few seconds. Colour only for what is abnormal (offline).
 */
import { useCallback, useEffect, useState } from 'react';
import { api } from '../../app/api';
import { canOperate } from '../../app/session';
import { type Pen, TrendChart } from '../../ui/TrendChart';
import { PRESETS } from '../trends';

export interface Site {
  id: number;
  group_id: string;
  edge_node_id: string;
  host: { id: number; name: string } | null;
  online: boolean;
  /** 'unknown' while the site's host has no broker: it cannot know the edge's state */
  status?: 'online' | 'offline' | 'unknown';
  bd_seq: number | null;
  last_birth: string | null;
  last_death: string | null;
  last_seen: string | null;
  seq_gaps: number;
  rebirths: number;
  values_received: number;
  devices: number;
  devices_online: number;
}

interface Metric {
  id: number;
  device_id: string | null;
  name: string;
  datatype: string;
  unit: string | null;
  value: number | string | null;
  utc_date_time: string | null;
  /** the edge's birth marks it Writable: a command may be sent */
  writable: boolean;
}

interface History {
  values: { utc_date_time: string; value: number | string | null; historical: boolean }[];
}

const REFRESH_MS = 2_000;
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
/** what the command carries: a number for numeric metrics (text that is not one goes as is: the server names the problem) */
function commandValue(datatype: string, text: string): number | boolean | string {
  if (datatype === 'Boolean') return text === 'true';
  if (datatype === 'String' || datatype === 'Text') return text;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/**
 * Writes a writable metric of an online site: the central server sends the command (DCMD/NCMD) and the edge applies it
 * through its control arbiter; the new value comes back as data, in the table above.
 */
function CommandPanel({ site, metric }: { site: Site; metric: Metric }) {
  const [text, setText] = useState(metric.datatype === 'Boolean' ? 'true' : '');
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const label = metric.device_id ? `${metric.device_id} / ${metric.name}` : metric.name;
  const send = async () => {
    setBusy(true);
    try {
      await api.put(`/central/sites/${site.id}/metrics/${metric.id}/write`, { value: commandValue(metric.datatype, text) });
      setResult({ ok: true, message: `Sent to ${site.edge_node_id}: ${label} = ${text}. The edge applies it through its control arbiter; the new value appears above.` });
    } catch (e) {
      setResult({ ok: false, message: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="toolbar command"
      aria-label={`Write ${label}`}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label>
        Write {label}{' '}
        {metric.datatype === 'Boolean' ? (
          <select aria-label={`New value of ${label}`} value={text} onChange={(e) => setText(e.target.value)}>
            <option value="true">true</option>
            <option value="false">false</option>
          </select>
        ) : (
          <input aria-label={`New value of ${label}`} value={text} onChange={(e) => setText(e.target.value)} inputMode={metric.datatype === 'String' || metric.datatype === 'Text' ? 'text' : 'decimal'} />
        )}
        {metric.unit ? ` ${metric.unit}` : ''}
      </label>
      <button type="submit" disabled={busy || text === ''}>
        Send
      </button>
      {result && (
        <span role={result.ok ? 'status' : 'alert'} className={result.ok ? undefined : 'error'}>
          {result.message}
        </span>
      )}
    </form>
  );
}

const shown = (v: number | string | null) => (v === null ? '—' : typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : v);

export default function SitesScreen() {
  const [sites, setSites] = useState<Site[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [metrics, setMetrics] = useState<Metric[]>([]);
  const [metric, setMetric] = useState<number | null>(null);
  const [span, setSpan] = useState(PRESETS[0][1]);
  const [pens, setPens] = useState<Pen[]>([]);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const list = await api.get<Site[]>('/central/sites');
      setSites(list);
      setSelected((s) => (s !== null && list.some((x) => x.id === s) ? s : (list[0]?.id ?? null)));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);

  useEffect(() => {
    void refresh();
    const t = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(t);
  }, [refresh]);

  useEffect(() => {
    if (selected === null) {
      setMetrics([]);
      return;
    }
    let live = true;
    const load = () =>
      api
        .get<Metric[]>(`/central/sites/${selected}/metrics`)
        .then((m) => live && setMetrics(m))
        .catch((e: Error) => live && setError(e.message));
    void load();
    const t = setInterval(() => void load(), REFRESH_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [selected]);

  const chosen = metrics.find((m) => m.id === metric) ?? null;
  useEffect(() => {
    if (selected === null || !chosen) {
      setPens([]);
      return;
    }
    let live = true;
    const load = async () => {
      const to = Date.now();
      const q = new URLSearchParams({ startdatetime: new Date(to - span).toISOString(), enddatetime: new Date(to).toISOString(), maxpoints: String(Math.max(400, Math.round(window.innerWidth * 0.6))) });
      try {
        const h = await api.get<History>(`/central/sites/${selected}/metrics/${chosen.id}/history?${q}`);
        if (!live) return;
        setPens([{ pointId: chosen.id, name: chosen.device_id ? `${chosen.device_id} / ${chosen.name}` : chosen.name, units: chosen.unit ?? '', samples: h.values.map((v) => [Date.parse(v.utc_date_time), typeof v.value === 'number' ? v.value : null]) }]);
      } catch (e) {
        if (live) setError((e as Error).message);
      }
    };
    void load();
    const t = setInterval(() => void load(), 5_000);
    return () => {
      live = false;
      clearInterval(t);
    };
    // the chosen metric's id (not its refreshed object) decides what is loaded
  }, [selected, chosen?.id, span]);

  const site = sites.find((s) => s.id === selected) ?? null;
  return (
    <section className="screen sites">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <h1>Sites</h1>
      {sites.length === 0 ? (
        <p className="notice">No site has been seen yet. Configure a Sparkplug host (Configuration → Central) with the broker and groups your edge nodes publish to.</p>
      ) : (
        <table className="grid" aria-label="Sites">
          <thead>
            <tr>
              <th>Site</th>
              <th>Group</th>
              <th>State</th>
              <th>Devices</th>
              <th>Last birth</th>
              <th>Last death</th>
              <th>Sequence gaps</th>
              <th>Rebirth requests</th>
              <th>Values received</th>
            </tr>
          </thead>
          <tbody>
            {sites.map((s) => (
              <tr key={s.id} tabIndex={0} className={s.id === selected ? 'selected' : undefined} aria-selected={s.id === selected} onClick={() => setSelected(s.id)} onKeyDown={(e) => e.key === 'Enter' && setSelected(s.id)}>
                <td>{s.edge_node_id}</td>
                <td>{s.group_id}</td>
                <td className={s.online ? undefined : 'abnormal'}>{s.online ? 'Online' : s.status === 'unknown' ? '? Unknown (no broker)' : '✖ Offline'}</td>
                <td>
                  {s.devices_online} / {s.devices}
                </td>
                <td>{when(s.last_birth)}</td>
                <td>{when(s.last_death)}</td>
                <td className="pv">{s.seq_gaps}</td>
                <td className="pv">{s.rebirths}</td>
                <td className="pv">{s.values_received}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {site && (
        <div className="split site-detail">
          <div>
            <h2>{site.edge_node_id} metrics</h2>
            <table className="grid" aria-label={`Metrics of ${site.edge_node_id}`}>
              <thead>
                <tr>
                  <th>Device</th>
                  <th>Metric</th>
                  <th>Value</th>
                  <th>Unit</th>
                  <th>Time</th>
                  <th>Writable</th>
                </tr>
              </thead>
              <tbody>
                {metrics.map((m) => (
                  <tr key={m.id} tabIndex={0} className={m.id === metric ? 'selected' : undefined} aria-selected={m.id === metric} onClick={() => setMetric(m.id)} onKeyDown={(e) => e.key === 'Enter' && setMetric(m.id)}>
                    <td>{m.device_id ?? '(node)'}</td>
                    <td>{m.name}</td>
                    <td className="pv">{shown(m.value)}</td>
                    <td>{m.unit ?? ''}</td>
                    <td>{when(m.utc_date_time)}</td>
                    <td>{m.writable ? 'Yes' : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {chosen && chosen.writable && site.online && canOperate() && <CommandPanel key={chosen.id} site={site} metric={chosen} />}
          </div>
          <div>
            <h2>Trend</h2>
            <div className="toolbar" role="toolbar" aria-label="Time range">
              {PRESETS.map(([label, ms]) => (
                <button key={label} type="button" aria-pressed={span === ms} onClick={() => setSpan(ms)}>
                  {label}
                </button>
              ))}
            </div>
            {chosen ? <TrendChart pens={pens} height={320} /> : <p>Choose a metric to see its trend.</p>}
          </div>
        </div>
      )}
    </section>
  );
}
