/**
 * The audit log of operator actions (logins and failures, acknowledgements, shelving, commands, configuration
 * changes): query by time, action and user; export what is shown to CSV.
 */
import { useCallback, useEffect, useState } from 'react';
import { api } from '../../app/api';
import { auditCsv, type AuditRow } from './logic';

const ACTIONS: [string, string][] = [
  ['', 'Any action'],
  ['login', 'Logins and failures'],
  ['alarm.', 'Alarm actions'],
  ['alarm.ack', 'Acknowledgements'],
  ['alarm.shelve', 'Shelving'],
  ['command', 'Commands'],
  ['config.', 'Configuration changes'],
  ['message.', 'Messages'],
];

const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

export function AuditLogScreen() {
  const [start, setStart] = useState(localInput(new Date(Date.now() - 24 * 3_600_000)));
  const [end, setEnd] = useState('');
  const [action, setAction] = useState('');
  const [user, setUser] = useState('');
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    const q = new URLSearchParams();
    if (start) q.set('startdatetime', new Date(start).toISOString());
    if (end) q.set('enddatetime', new Date(end).toISOString());
    if (action) q.set('action', action);
    if (user.trim()) q.set('user', user.trim());
    try {
      setRows(await api.get<AuditRow[]>(`/auditlogs?${q.toString()}`));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [start, end, action, user]);
  // the first search runs once on opening; later ones when the operator asks
  const [opened] = useState(() => load);
  useEffect(() => {
    void opened();
  }, [opened]);

  const exportCsv = () => {
    const blob = new Blob([auditCsv(rows)], { type: 'text/csv;charset=utf-8' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `audit-log-${new Date().toISOString().slice(0, 10)}.csv`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  return (
    <section aria-label="Audit log" data-testid="audit-log">
      <form
        className="sy-toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <label>
          From <input type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} aria-label="From" />
        </label>
        <label>
          To <input type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} aria-label="To" />
        </label>
        <label>
          Action{' '}
          <select value={action} onChange={(e) => setAction(e.target.value)} aria-label="Action">
            {ACTIONS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          User <input value={user} onChange={(e) => setUser(e.target.value)} aria-label="User" size={12} />
        </label>
        <button type="submit">Search</button>
        <button type="button" onClick={exportCsv} disabled={rows.length === 0}>
          Export CSV
        </button>
        <span>{rows.length} entries</span>
      </form>
      {error ? <p className="sy-error">{error}</p> : null}
      <table data-testid="audit-table">
        <thead>
          <tr>
            <th>Time</th>
            <th>User</th>
            <th>Action</th>
            <th>Target</th>
            <th>Old</th>
            <th>New</th>
            <th>Result</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>{new Date(r.utc_date_time).toLocaleString()}</td>
              <td>{r.user_name}</td>
              <td>{r.action}</td>
              <td>{r.target}</td>
              <td>{r.old_value}</td>
              <td>{r.new_value}</td>
              <td>{r.result}</td>
              <td>{r.details}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
