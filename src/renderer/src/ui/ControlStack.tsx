/**
 * The arbiter's view of one point for the faceplate: every live request (who, how strongly, what, until when,
 * why), which one wins and what the point is driven to; an operator's override placed (for a duration or until
 * released) and released from here.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../app/api';
import { canOperate } from '../app/session';
import { useStateLabels } from '../live/pointStates';
import { stateList } from '../../../shared/states';
import './control.css';

interface StackRequest {
  id: string;
  source: string;
  priority: number;
  value: number | null;
  min: number | null;
  max: number | null;
  reason: string;
  actor: string;
  expires: string | null;
  winning: boolean;
  releasable: boolean;
}

export interface Stack {
  point_id: number;
  kind: 'request' | 'fallback' | 'none';
  target: number | null;
  why: string;
  fallback: { mode: 'leave' | 'value'; value: number | null };
  requests: StackRequest[];
}

const n = (v: number | null) => (v === null ? '' : String(Math.round(v * 100) / 100));
const wish = (r: StackRequest) => (r.value !== null ? n(r.value) : `${r.min !== null ? `≥ ${n(r.min)}` : ''}${r.min !== null && r.max !== null ? ', ' : ''}${r.max !== null ? `≤ ${n(r.max)}` : ''}`);

export function ControlStack({ pointId, units }: { pointId: number; units?: string }) {
  const states = useStateLabels(pointId);
  const [stack, setStack] = useState<Stack | null>(null);
  const [value, setValue] = useState('');
  const [minutes, setMinutes] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setStack(await api.get<Stack>(`/control/points/${pointId}/requests`));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [pointId]);
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 2000);
    return () => clearInterval(t);
  }, [load]);

  const place = async () => {
    setError(null);
    setMessage(null);
    try {
      const body: Record<string, unknown> = { value: Number(value), reason: 'faceplate override' };
      if (minutes.trim() !== '') body.duration_seconds = Number(minutes) * 60;
      await api.post(`/control/points/${pointId}/requests`, body);
      setMessage(`Override ${value}${units ? ` ${units}` : ''} placed${minutes.trim() ? ` for ${minutes} min` : ' until released'}.`);
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : (e as Error).message);
    }
  };
  const release = async (id: string) => {
    setError(null);
    try {
      await api.del(`/control/points/${pointId}/requests/${id}`);
      setMessage('Released.');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section aria-label="Control requests" className="control-stack">
      <h3>Control</h3>
      {stack && (
        <p data-testid="control-outcome">
          {stack.target === null ? 'Not driven' : `Driven to ${n(stack.target)}${units ? ` ${units}` : ''}`}: {stack.why}
        </p>
      )}
      {stack && stack.requests.length > 0 ? (
        <table className="grid" aria-label="Requests">
          <thead>
            <tr>
              <th>Source</th>
              <th>Priority</th>
              <th>Wants</th>
              <th>Why</th>
              <th>Until</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {stack.requests.map((r) => (
              <tr key={r.id} aria-current={r.winning ? 'true' : undefined} className={r.winning ? 'winning' : undefined}>
                <td>
                  {r.winning ? '▶ ' : ''}
                  {r.source}
                </td>
                <td className="num">{r.priority}</td>
                <td className="num">{wish(r)}</td>
                <td>
                  {r.reason} <small>({r.actor})</small>
                </td>
                <td>{r.expires ? new Date(r.expires).toLocaleTimeString() : 'released by hand'}</td>
                <td>
                  {r.releasable && canOperate() && (
                    <button type="button" onClick={() => void release(r.id)}>
                      Release
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        stack && <p>No request holds this point (fallback: {stack.fallback.mode === 'value' ? n(stack.fallback.value) : 'left as it is'}).</p>
      )}
      {canOperate() && (
      <form
        className="command-row"
        aria-label="Override"
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim() !== '' && Number.isFinite(Number(value))) void place();
        }}
      >
        <label>
          Override value
          {states ? (
            // a discrete point is overridden only to one of its states
            <select value={value} onChange={(e) => setValue(e.target.value)}>
              <option value="">choose a state</option>
              {stateList(states).map((s) => (
                <option key={s.value} value={String(s.value)}>
                  {s.label}
                </option>
              ))}
            </select>
          ) : (
            <input type="number" step="any" value={value} onChange={(e) => setValue(e.target.value)} />
          )}
        </label>
        <label>
          For (minutes, empty: until released)
          <input type="number" min="0" step="any" value={minutes} onChange={(e) => setMinutes(e.target.value)} />
        </label>
        <button type="submit" disabled={value.trim() === '' || !Number.isFinite(Number(value))}>
          Override
        </button>
      </form>
      )}
      {message && <p role="status">{message}</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
