/**
 * A Sparkplug edge node's live state under its configuration form: session (state, bdSeq, seq), what it publishes,
 * and its store-and-forward outbox; administrators can ask for a rebirth.
 */
import { useEffect, useState } from 'react';
import { api } from '../../app/api';
import { canConfigure } from '../../app/session';
import type { EdgeStatus as NodeStatus } from '../../../../shared/sparkplug';


const STATE_LABEL: Record<string, string> = {
  online: 'Online',
  offline: 'Offline: holding data in the outbox',
  connecting: 'Connecting',
  waiting_for_host: 'Waiting for the primary host',
  stopped: 'Not publishing (disabled)',
};

export function SparkplugStatus({ nodeId }: { nodeId: number }) {
  const [s, setS] = useState<NodeStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    const load = () =>
      void api
        .get<NodeStatus>(`/sparkplugnodes/${nodeId}/status`)
        .then((x) => {
          if (!alive) return;
          setS(x);
          setError(null);
        })
        .catch((e: Error) => alive && setError(e.message));
    load();
    const t = setInterval(load, 2000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [nodeId]);
  const rebirth = () =>
    void api
      .post(`/sparkplugnodes/${nodeId}/rebirth`)
      .then(() => setNote('Rebirth requested.'))
      .catch((e: Error) => setError(e.message));
  return (
    <section className="tool" aria-label="Sparkplug status">
      <h3>Sparkplug status</h3>
      {error && <p className="error">{error}</p>}
      {s && (
        <dl className="readnow">
          <dt>State</dt>
          <dd data-testid="spb-state">{STATE_LABEL[s.state] ?? s.state}</dd>
          <dt>Session</dt>
          <dd>
            bdSeq {s.bd_seq ?? '–'}, seq {s.seq}, last birth {s.last_birth ? new Date(s.last_birth).toLocaleString() : '–'}
          </dd>
          <dt>Publishing</dt>
          <dd data-testid="spb-published">
            {s.metrics} metrics in {s.devices} devices; {s.published.values} values live, {s.published.historical_values} historical
          </dd>
          <dt>Outbox</dt>
          <dd data-testid="spb-outbox">
            {s.outbox.values} values in {s.outbox.messages} messages ({(s.outbox.bytes / 1024).toFixed(0)} KiB){s.outbox.oldest ? `, oldest ${new Date(s.outbox.oldest).toLocaleString()}` : ''}
            {s.outbox.dropped ? `; ${s.outbox.dropped} dropped by the bounds` : ''}
          </dd>
          {s.last_error && (
            <>
              <dt>Last error</dt>
              <dd>{s.last_error}</dd>
            </>
          )}
        </dl>
      )}
      {canConfigure() && (
        <button type="button" onClick={rebirth}>
          Rebirth
        </button>
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}
