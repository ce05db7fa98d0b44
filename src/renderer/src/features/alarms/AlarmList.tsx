/**
 * The alarm list: filter by state, priority and text; sort by any column; select and acknowledge one or
 * many with a comment; shelve with minutes and a reason; un-shelve; open an alarm's history.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../../app/api';
import { canOperate } from '../../app/session';
import { Dialog } from '../../ui/Dialog';
import { useAlarmStore } from './store';
import { filterAlarms, sortAlarms, type SortKey, type StateFilter } from './logic';
import { isEdgeAlarm, PRIORITY_GLYPH, PRIORITY_ORDER, STATE_TEXT, type Alarm, type AlarmEvent } from './types';

export const MAX_ROWS = 500;

const fmt = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');

export function AlarmList() {
  const byId = useAlarmStore((s) => s.byId);
  const refresh = useAlarmStore((s) => s.refresh);
  // a read-only user sees the alarms but is not offered what the server would refuse
  const operate = canOperate();
  const [state, setState] = useState<StateFilter>('annunciated');
  const [priority, setPriority] = useState('');
  const [text, setText] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'priority', desc: false });
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [dialog, setDialog] = useState<{ kind: 'ack'; ids: number[] } | { kind: 'shelve'; alarm: Alarm } | { kind: 'history'; alarm: Alarm; events: AlarmEvent[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const matching = useMemo(() => sortAlarms(filterAlarms([...byId.values()], state, priority, text), sort.key, sort.desc), [byId, state, priority, text, sort]);
  // in a flood the list stays usable: the first rows in the chosen order, and a note to narrow the filter
  const rows = matching.length > MAX_ROWS ? matching.slice(0, MAX_ROWS) : matching;
  const visibleSelected = rows.filter((a) => selected.has(a.id) && !a.acknowledged && !isEdgeAlarm(a)).map((a) => a.id);

  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      setDialog(null);
      setSelected(new Set());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      await refresh();
    }
  };
  const header = (key: SortKey, label: string) => (
    <th aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button type="button" onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : false }))}>
        {label} {sort.key === key ? (sort.desc ? '▼' : '▲') : ''}
      </button>
    </th>
  );
  const openHistory = async (alarm: Alarm) => {
    try {
      const events = await api.get<AlarmEvent[]>(`/alarms/${alarm.id}/history`);
      setDialog({ kind: 'history', alarm, events });
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section aria-label="Alarm list">
      <div className="sy-toolbar">
        <label>
          Show{' '}
          <select value={state} onChange={(e) => setState(e.target.value as StateFilter)} aria-label="State filter">
            <option value="annunciated">Current (unacknowledged and active)</option>
            <option value="active">Active</option>
            <option value="unacknowledged">Unacknowledged</option>
            <option value="shelved">Shelved</option>
            <option value="suppressed">Suppressed by design</option>
            <option value="outofservice">Out of service</option>
            <option value="all">All</option>
          </select>
        </label>
        <label>
          Priority{' '}
          <select value={priority} onChange={(e) => setPriority(e.target.value)} aria-label="Priority filter">
            <option value="">Any</option>
            {PRIORITY_ORDER.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <input type="search" placeholder="Filter by name or message" value={text} onChange={(e) => setText(e.target.value)} aria-label="Text filter" />
        {operate ? (
          <button type="button" disabled={visibleSelected.length === 0} onClick={() => setDialog({ kind: 'ack', ids: visibleSelected })}>
            Acknowledge selected ({visibleSelected.length})
          </button>
        ) : null}
        <span>{matching.length > rows.length ? `${rows.length} of ${matching.length} shown: narrow the filter to see the rest` : `${rows.length} shown`}</span>
      </div>
      {error ? (
        <p className="sy-error" role="alert">
          {error}
        </p>
      ) : null}
      <table data-testid="alarm-table">
        <thead>
          <tr>
            <th>
              {operate ? (
                <input
                  type="checkbox"
                  aria-label="Select all shown"
                  checked={rows.length > 0 && rows.every((a) => selected.has(a.id))}
                  onChange={(e) => setSelected(e.target.checked ? new Set(rows.map((a) => a.id)) : new Set())}
                />
              ) : null}
            </th>
            {header('priority', 'Priority')}
            {header('time', 'Time')}
            {header('name', 'Alarm')}
            <th>Message</th>
            <th>Value</th>
            {header('state', 'State')}
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => {
            const unack = !a.acknowledged && (a.state === 'UNACK' || a.state === 'RTNUN');
            return (
            <tr key={a.id} className={unack ? 'sy-unack' : ''} aria-selected={selected.has(a.id)} data-alarm-id={a.id} data-state={a.state}>
              <td>
                {operate ? (
                  <input
                    type="checkbox"
                    aria-label={`Select ${a.name}`}
                    checked={selected.has(a.id)}
                    onChange={(e) =>
                      setSelected((s) => {
                        const n = new Set(s);
                        if (e.target.checked) n.add(a.id);
                        else n.delete(a.id);
                        return n;
                      })
                    }
                  />
                ) : null}
                {unack ? (
                  <span className="sy-unack-mark" role="img" aria-label="Unacknowledged" title="Unacknowledged">
                    ◆
                  </span>
                ) : null}
              </td>
              <td className={`sy-prio-${a.priority.toLowerCase()}`}>
                <span className="sy-prio-badge">
                  <span aria-hidden="true">{PRIORITY_GLYPH[a.priority]}</span> {a.priority}
                </span>
              </td>
              <td>{fmt(a.activated_datetime ?? a.last_change_datetime)}</td>
              <td>
                {a.name}
                {isEdgeAlarm(a) ? (
                  <div className="sy-edge-alarm" title="Raised at an edge site and acknowledged there: Sparkplug gives the central server no way to acknowledge it">
                    Edge site alarm: acknowledged at the site
                  </div>
                ) : null}
              </td>
              <td>
                {a.message}
                {a.shelved ? <div>Shelved by {a.shelved_by} until {fmt(a.shelved_until)}: {a.shelved_reason}</div> : null}
                {a.acknowledged_by && a.active ? <div>Acknowledged by {a.acknowledged_by}{a.ack_comment ? `: ${a.ack_comment}` : ''}</div> : null}
              </td>
              <td>{a.value ?? ''}</td>
              <td title={a.state}>{STATE_TEXT[a.state] ?? a.state}</td>
              <td>
                {operate && !a.acknowledged && !a.out_of_service && !isEdgeAlarm(a) ? (
                  <button type="button" onClick={() => setDialog({ kind: 'ack', ids: [a.id] })}>
                    Acknowledge
                  </button>
                ) : null}
                {!operate ? null : a.shelved ? (
                  <button type="button" onClick={() => void run(() => api.put(`/alarms/${a.id}/unshelve`, {}))}>
                    Unshelve
                  </button>
                ) : !a.out_of_service ? (
                  <button type="button" onClick={() => setDialog({ kind: 'shelve', alarm: a })}>
                    Shelve
                  </button>
                ) : null}
                <button type="button" onClick={() => void openHistory(a)}>
                  History
                </button>
              </td>
            </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length === 0 ? <p>No alarms match.</p> : null}

      {dialog?.kind === 'ack' ? (
        <AckDialog count={dialog.ids.length} onCancel={() => setDialog(null)} onSubmit={(comment) => run(() => (dialog.ids.length === 1 ? api.put(`/alarms/${dialog.ids[0]}/ack`, { comment }) : api.put('/alarms/ack', { ids: dialog.ids, comment })))} />
      ) : null}
      {dialog?.kind === 'shelve' ? (
        <ShelveDialog alarm={dialog.alarm} onCancel={() => setDialog(null)} onSubmit={(minutes, reason) => run(() => api.put(`/alarms/${dialog.alarm.id}/shelve`, { minutes, reason }))} />
      ) : null}
      {dialog?.kind === 'history' ? <HistoryDialog alarm={dialog.alarm} events={dialog.events} onClose={() => setDialog(null)} /> : null}
    </section>
  );
}

function AckDialog({ count, onSubmit, onCancel }: { count: number; onSubmit: (comment: string) => Promise<void>; onCancel: () => void }) {
  const [comment, setComment] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void onSubmit(comment);
  };
  return (
    <Dialog title="Acknowledge alarms" onClose={onCancel}>
      <form className="sy-dialog-form" onSubmit={submit}>
        <strong>Acknowledge {count === 1 ? 'alarm' : `${count} alarms`}</strong>
        <label>
          Comment (optional)
          <br />
          <input autoFocus value={comment} onChange={(e) => setComment(e.target.value)} maxLength={2000} aria-label="Comment" style={{ width: '100%' }} />
        </label>
        <div className="button-row">
          <button type="submit" className="primary">
            Acknowledge
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function ShelveDialog({ alarm, onSubmit, onCancel }: { alarm: Alarm; onSubmit: (minutes: number, reason: string) => Promise<void>; onCancel: () => void }) {
  const [minutes, setMinutes] = useState('30');
  const [reason, setReason] = useState('');
  const m = Number(minutes);
  const valid = Number.isFinite(m) && m > 0 && m <= 10080 && reason.trim() !== '';
  return (
    <Dialog title="Shelve alarm" onClose={onCancel}>
      <form
        className="sy-dialog-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) void onSubmit(m, reason.trim());
        }}
      >
        <strong>Shelve {alarm.name}</strong>
        <label>
          Minutes (1 to 10080)
          <br />
          <input type="number" min={1} max={10080} value={minutes} onChange={(e) => setMinutes(e.target.value)} aria-label="Minutes" autoFocus />
        </label>
        <label>
          Reason (required)
          <br />
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} aria-label="Reason" style={{ width: '100%' }} />
        </label>
        <div className="button-row">
          <button type="submit" className="primary" disabled={!valid}>
            Shelve
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function HistoryDialog({ alarm, events, onClose }: { alarm: Alarm; events: AlarmEvent[]; onClose: () => void }) {
  return (
    <Dialog title={`History of ${alarm.name}`} onClose={onClose} wide>
      <table data-testid="alarm-history" className="grid">
        <thead>
          <tr>
            <th>Time</th>
            <th>Action</th>
            <th>From</th>
            <th>To</th>
            <th>User</th>
            <th>Comment</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              <td>{fmt(e.utc_date_time)}</td>
              <td>{e.action}</td>
              <td>{e.from_state}</td>
              <td>{e.to_state}</td>
              <td>{e.user_name}</td>
              <td>{e.comment ?? ''}</td>
              <td>{e.value ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
