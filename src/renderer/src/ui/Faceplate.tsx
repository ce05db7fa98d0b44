/**
 * A point's faceplate: live value, quality and source time, limits, a one-hour trend and the commands that
 * act on the point, each sent only after a confirmation naming the value.
 */
import { useEffect, useState } from 'react';
import { api, ApiError } from '../app/api';
import { canOperate } from '../app/session';
import { usePointValue } from '../live/liveStore';
import { ControlStack } from './ControlStack';
import { usePointStates, useStateLabels } from '../live/pointStates';
import { stateLabel, stateList, type StateLabels } from '../../../shared/states';
import { type PointInfo, loadPen } from './data';
import { Dialog } from './Dialog';
import { QUALITY_MARK } from './format';
import { PointValue } from './PointValue';
import { type Pen, TrendChart } from './TrendChart';

interface Command {
  id: number;
  name: string;
  topic: string;
  set_value: number | null;
  description: string | null;
}

const targetsPoint = (c: Command, pointId: number) => new RegExp(`^(?:myems/)?point[/:]${pointId}$`).test(c.topic.trim());

export function Faceplate({ pointId, onClose }: { pointId: number; onClose: () => void }) {
  const [info, setInfo] = useState<PointInfo | null>(null);
  const [pen, setPen] = useState<Pen | null>(null);
  const [commands, setCommands] = useState<Command[]>([]);
  const [confirm, setConfirm] = useState<{ command: Command; value: number } | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const live = usePointValue(pointId);
  const states = useStateLabels(pointId);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      try {
        const p = await api.get<PointInfo>(`/points/${pointId}`);
        if (cancelled) return;
        setInfo(p);
        usePointStates.getState().set(pointId, (p as { state_labels?: unknown }).state_labels);
        const now = Date.now();
        const [trend, cmds] = await Promise.all([loadPen(p, now - 3_600_000, now, 600), api.get<Command[]>('/commands')]);
        if (cancelled) return;
        setPen(trend);
        setCommands(cmds.filter((c) => targetsPoint(c, pointId)));
      } catch (e) {
        if (!cancelled) setError((e as Error).message);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [pointId]);

  const send = async () => {
    if (!confirm) return;
    setResult(null);
    try {
      const r = await api.put<{ ok: boolean; readback: number | null; pending?: boolean; reason?: string; audit_id: number; error?: string }>(`/commands/${confirm.command.id}/send`, { set_value: confirm.value });
      setResult(!r.ok ? `The device refused: ${r.error ?? 'no reason given'} (audit #${r.audit_id}).` : r.pending ? `Held, not written yet: ${r.reason ?? 'the device does not answer now'} (audit #${r.audit_id}).` : `Sent. Read back ${r.readback ?? '-'} (audit #${r.audit_id}).`);
    } catch (e) {
      setResult(e instanceof ApiError ? `Not sent: ${e.message}` : `Not sent: ${(e as Error).message}`);
    }
    setConfirm(null);
  };

  const mark = live ? QUALITY_MARK[live.quality] : QUALITY_MARK.stale;
  return (
    <Dialog title={info ? `Faceplate: ${info.name}` : 'Faceplate'} onClose={onClose} wide>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="faceplate">
        <dl className="faceplate-facts">
          <dt>Value</dt>
          <dd className="faceplate-value">
            <PointValue pointId={pointId} format="0.00" units={info?.units} />
          </dd>
          <dt>Quality</dt>
          <dd data-testid="faceplate-quality">{live ? live.quality : 'no value yet'}{mark ? ` (${mark.label})` : ''}</dd>
          <dt>Source time</dt>
          <dd>{live ? new Date(live.utc_date_time).toLocaleString() : '-'}</dd>
          <dt>Limits</dt>
          <dd>
            {info ? `${info.low_limit ?? '-∞'} … ${info.high_limit ?? '∞'} ${info.units ?? ''}` : '-'}
          </dd>
          <dt>Data source</dt>
          <dd>{info?.data_source?.name ?? '-'}</dd>
        </dl>
        <section aria-label="One-hour trend" className="faceplate-trend">{pen ? <TrendChart pens={[pen]} height={220} /> : <p>Loading the last hour…</p>}</section>
        <section aria-label="Commands" className="faceplate-commands">
          <h3>Commands</h3>
          {commands.length === 0 && <p>No command acts on this point.</p>}
          {commands.length > 0 && !canOperate() && <p>{commands.map((c) => c.name).join(', ')}: a read-only user cannot send commands.</p>}
          {canOperate() &&
            commands.map((c) => <CommandRow key={c.id} command={c} states={states} onSend={(value) => setConfirm({ command: c, value })} />)}
          {result && (
            <p className="command-result" role="status">
              {result}
            </p>
          )}
        </section>
        {info && !info.is_virtual && <ControlStack pointId={pointId} units={info.units} />}
      </div>
      {confirm && (
        <Dialog title="Confirm command" onClose={() => setConfirm(null)}>
          <p>
            Send <strong>{confirm.command.name}</strong> with value <strong>{stateLabel(states, confirm.value) ? `${stateLabel(states, confirm.value)} (${confirm.value})` : confirm.value}</strong>
            {info ? ` to ${info.name}` : ''}? The write is audited.
          </p>
          <div className="button-row">
            <button type="button" className="primary" onClick={() => void send()}>
              Send
            </button>
            <button type="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </Dialog>
  );
}

function CommandRow({ command, states, onSend }: { command: Command; states?: StateLabels; onSend: (value: number) => void }) {
  const [value, setValue] = useState(String(command.set_value ?? ''));
  const n = Number(value);
  if (states) {
    // a discrete point: a command with its own value sends that state only; otherwise only the defined states
    const fixed = command.set_value !== null ? stateList(states).filter((s) => s.value === command.set_value) : stateList(states);
    return (
      <div className="command-row" role="group" aria-label={command.name}>
        <span>
          {command.name}
          {command.description ? <small> ({command.description})</small> : null}
        </span>
        {fixed.length === 0 && <small className="error">sends {command.set_value}, which is not a state of this point</small>}
        {fixed.map((s) => (
          <button key={s.value} type="button" onClick={() => onSend(s.value)}>
            Send {s.label}…
          </button>
        ))}
      </div>
    );
  }
  return (
    <form
      className="command-row"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim() !== '' && Number.isFinite(n)) onSend(n);
      }}
    >
      <label>
        {command.name}
        {command.description ? <small> ({command.description})</small> : null}
        <input type="number" step="any" value={value} onChange={(e) => setValue(e.target.value)} aria-label={`Value for ${command.name}`} />
      </label>
      <button type="submit" disabled={value.trim() === '' || !Number.isFinite(n)}>
        Send…
      </button>
    </form>
  );
}
