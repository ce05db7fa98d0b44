import { useEffect, useState } from 'react';
import { useLive } from '../live/liveStore';
import { api } from './api';

interface Status {
  data_sources_online: number;
  data_sources_offline: number;
  unacknowledged_alarms: number;
}

/** Link to the runtime, data sources online/offline, clock, user. Abnormal states carry a glyph and text. */
export function StatusBar({ user, onLogout }: { user: string; onLogout: () => void }) {
  const connected = useLive((s) => s.connected);
  const pushed = useLive((s) => s.status);
  const [polled, setPolled] = useState<Status | null>(null);
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const tick = setInterval(() => setNow(new Date()), 1000);
    const load = () => void api.get<Status>('/status').then(setPolled).catch(() => undefined);
    load();
    const poll = setInterval(load, 10_000);
    return () => {
      clearInterval(tick);
      clearInterval(poll);
    };
  }, []);
  const s = pushed ?? polled;
  return (
    <footer className="status-bar" aria-label="Status">
      <span className={connected ? 'ok' : 'abnormal'} data-testid="link-status">
        {connected ? '● Runtime connected' : '✕ Runtime link lost: reconnecting'}
      </span>
      <span className={s && s.data_sources_offline > 0 ? 'abnormal' : 'ok'} data-testid="datasource-status">
        Data sources: {s ? `${s.data_sources_online} online` : '…'}
        {s && s.data_sources_offline > 0 ? `, ✕ ${s.data_sources_offline} offline` : ''}
      </span>
      <span className="spacer" />
      <time dateTime={now.toISOString()}>{now.toLocaleString()}</time>
      <span>{user}</span>
      <button type="button" onClick={onLogout}>
        Log out
      </button>
    </footer>
  );
}
