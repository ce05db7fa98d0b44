/**
 * ecobee on the demand response console: sending an event to the utility account, and ecobee's answer to every
 * send and cancel, per reference (an event re-sent has several; cancelling it cancels every one).
 */
import { useState } from 'react';
import { api, ApiError } from '../../app/api';

export interface EcobeeState {
  demandResponseRef: string | null;
  demandResponseRefs: string[];
  status: { code: number; message: string } | null;
  answers?: { demandResponseRef: string | null; operation: 'send' | 'cancel'; http_status: number | null; code: number; message: string; at: string }[];
}

/** Sends an event to the ecobee utility account and shows ecobee's answer. */
export function EcobeeSend({ event, zone, onDone }: { event: { id: number; name: string }; zone: string; onDone: (message: string) => void }) {
  const [name, setName] = useState(event.name.slice(0, 12));
  const [tz, setTz] = useState(zone);
  const [mode, setMode] = useState<'absolute' | 'relative'>('absolute');
  const [heat, setHeat] = useState('680');
  const [cool, setCool] = useState('790');
  const [error, setError] = useState<string | null>(null);
  const send = async () => {
    setError(null);
    try {
      const r = await api.post<{ status: { code: number; message: string }; demandResponseRef: string | null }>(`/dr/events/${event.id}/ecobee`, {
        name,
        timezone: tz,
        temperature: mode,
        heat_hold_temp: Number(heat),
        cool_hold_temp: Number(cool),
      });
      onDone(`ecobee answered code ${r.status.code}${r.status.message ? `: ${r.status.message}` : ''}${r.demandResponseRef ? ` (ref ${r.demandResponseRef})` : ''}.`);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.field ? `${e.field}: ` : ''}${e.message}` : (e as Error).message);
    }
  };
  return (
    <form
      className="dr-form"
      aria-label={`Send ${event.name} to ecobee`}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label>
        ecobee name (≤ 12) <input value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Thermostats' time zone <input value={tz} onChange={(e) => setTz(e.target.value)} />
      </label>
      <label>
        Temperature
        <select value={mode} onChange={(e) => setMode(e.target.value as 'absolute' | 'relative')}>
          <option value="absolute">absolute</option>
          <option value="relative">relative</option>
        </select>
      </label>
      <label>
        Heat hold (0.1 °F) <input type="number" value={heat} onChange={(e) => setHeat(e.target.value)} />
      </label>
      <label>
        Cool hold (0.1 °F) <input type="number" value={cool} onChange={(e) => setCool(e.target.value)} />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Send to ecobee</button>
    </form>
  );
}

/** ecobee's answers for the events sent there: one row per call, by reference; code 0 is success. */
export function EcobeeAnswers({ events, show }: { events: { id: number; name: string; ecobee?: EcobeeState | null }[]; show: (iso: string) => string }) {
  const rows = events.flatMap((e) => (e.ecobee?.answers ?? []).map((a, i) => ({ key: `${e.id}-${i}`, event: e.name, ...a })));
  if (!rows.length) return null;
  return (
    <>
      <h2>ecobee answers</h2>
      <table className="grid" aria-label="ecobee answers">
        <thead>
          <tr>
            <th>Event</th>
            <th>Reference</th>
            <th>Call</th>
            <th>Answer</th>
            <th>Time</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <td>{r.event}</td>
              <td>
                <code>{r.demandResponseRef ?? '-'}</code>
              </td>
              <td>{r.operation}</td>
              <td className={r.code === 0 ? '' : 'abnormal'}>
                {r.code === 0 ? '' : '✕ '}code {r.code}
                {r.message ? `: ${r.message}` : ''}
                {r.http_status !== null && r.http_status !== 200 ? ` (HTTP ${r.http_status})` : ''}
              </td>
              <td>{show(r.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
