/**
 * Overview: the plant at a glance (ISA-101: calm when all is well). The site's key figures, alarms by priority
 * and the health of the data sources that talk to devices; the data-source and point tables one click away.
 */
import { useEffect, useMemo, useState } from 'react';
import { api } from '../../app/api';
import { talksToDevice } from '../../../../shared/protocols';
import { useLive } from '../../live/liveStore';
import { useDevices } from '../../ui/devices';
import { retainAlarmPolling, useAlarmStore } from '../alarms/store';
import type { Priority } from '../alarms/types';
import { KeyFigures, SITE_KINDS } from './KeyFigures';
import { SourceTables, type DataSource } from './SourceTables';
import './overview.css';

const PRIORITIES: Priority[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];

function AlarmsByPriority() {
  useEffect(() => retainAlarmPolling('full'), []);
  const byId = useAlarmStore((s) => s.byId);
  const counts = useMemo(() => {
    const c = Object.fromEntries(PRIORITIES.map((p) => [p, { active: 0, unack: 0 }])) as Record<Priority, { active: number; unack: number }>;
    for (const a of byId.values()) {
      if (a.state === 'NORM' || a.shelved || a.out_of_service) continue;
      if (a.active) c[a.priority].active++;
      if (!a.acknowledged) c[a.priority].unack++;
    }
    return c;
  }, [byId]);
  return (
    <section className="overview-card" aria-label="Alarms by priority">
      <h2>Alarms</h2>
      <table className="grid compact">
        <thead>
          <tr>
            <th>Priority</th>
            <th>Active</th>
            <th>Unacknowledged</th>
          </tr>
        </thead>
        <tbody>
          {PRIORITIES.map((p) => (
            <tr key={p} className={counts[p].unack > 0 ? `abnormal prio-${p.toLowerCase()}` : undefined}>
              <td>{p}</td>
              <td className="num">{counts[p].active}</td>
              <td className="num">{counts[p].unack}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <a href="#/alarms">Open the alarm list</a>
    </section>
  );
}

function SourceHealth({ sources }: { sources: DataSource[] }) {
  const devices = sources.filter((s) => talksToDevice(s.protocol));
  const offline = devices.filter((s) => s.status !== 'online');
  return (
    <section className="overview-card" aria-label="Data source health">
      <h2>Data sources</h2>
      <p className={offline.length ? 'abnormal' : undefined} data-testid="source-health">
        {devices.length - offline.length} of {devices.length} device sources online
      </p>
      {offline.length > 0 && (
        <ul>
          {offline.map((s) => (
            <li key={s.id}>
              ✕ {s.name} ({s.protocol}) offline{s.last_seen_datetime ? `, last seen ${s.last_seen_datetime} UTC` : ''}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export default function OverviewScreen() {
  const [sources, setSources] = useState<DataSource[]>([]);
  const [microgrids, setMicrogrids] = useState<{ id: number; name: string }[] | null>(null);
  const [tables, setTables] = useState(false);
  const offlineCount = useLive((s) => s.status?.data_sources_offline);

  useEffect(() => {
    let cancelled = false;
    const load = () =>
      api
        .get<DataSource[]>('/datasources')
        .then((ds) => !cancelled && setSources(ds))
        .catch(() => undefined);
    void load();
    const t = setInterval(load, 10_000);
    return () => {
      cancelled = true;
      clearInterval(t);
    };
  }, [offlineCount]);
  useEffect(() => {
    void api
      .get<{ id: number; name: string }[]>('/microgrids')
      .then(setMicrogrids)
      .catch(() => setMicrogrids([]));
  }, []);
  const site = microgrids?.[0] ?? null;
  const devices = useDevices(site ? `/microgrids/${site.id}` : null, SITE_KINDS);

  return (
    <section className="screen overview">
      <h1>Overview{site ? `: ${site.name}` : ''}</h1>
      {microgrids !== null && !site && <p className="muted">No microgrid is configured: the key figures come from a microgrid's grid, PV, battery and load devices.</p>}
      {site && <KeyFigures devices={devices} />}
      <div className="overview-cards">
        <AlarmsByPriority />
        <SourceHealth sources={sources} />
      </div>
      <button type="button" aria-expanded={tables} onClick={() => setTables((x) => !x)}>
        {tables ? 'Hide' : 'Show'} data sources and points
      </button>
      {tables && <SourceTables sources={sources} />}
    </section>
  );
}
