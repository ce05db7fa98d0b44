/** Alarm system performance against the ISA-18.2 / EEMUA 191 targets (GET /api/alarms/performance). */
import { useEffect, useState } from 'react';
import { api } from '../../app/api';

interface Report {
  startdatetime: string;
  enddatetime: string;
  hours: number;
  operator_positions: number;
  activations: number;
  alarms_per_hour: number;
  alarms_per_hour_per_position: number;
  acknowledgements_by_user: { user_name: string; count: number; per_hour: number }[];
  floods: { start: string; end: string; count: number }[];
  percent_time_in_flood: number;
  chattering: { alarm_id: number; name: string; max_transitions_per_minute: number }[];
  stale: { alarm_id: number; name: string; active_since: string; hours: number }[];
  top10: { alarm_id: number; name: string; priority: string; count: number; percent: number }[];
  top10_percent: number;
  priority_distribution: Record<string, number>;
  targets: { alarms_per_hour_acceptable: number; alarms_per_hour_max: number; percent_time_in_flood_max: number; stale_max: number; top10_percent_max: number };
  assessment: { alarm_rate: string; floods: boolean; chattering: boolean; stale: boolean; top10: boolean };
}

const PERIODS: [string, number][] = [
  ['Last hour', 1],
  ['Last 24 hours', 24],
  ['Last 7 days', 168],
  ['Last 30 days', 720],
];

const Mark = ({ bad, children }: { bad: boolean; children: React.ReactNode }) => <span className={bad ? 'sy-target-bad' : 'sy-target-ok'}>{children}</span>;

export function PerformancePanel() {
  const [hours, setHours] = useState(24);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const end = new Date();
    const start = new Date(end.getTime() - hours * 3_600_000);
    api
      .get<Report>(`/alarms/performance?startdatetime=${encodeURIComponent(start.toISOString())}&enddatetime=${encodeURIComponent(end.toISOString())}`)
      .then((r) => {
        setReport(r);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, [hours]);
  if (error) return <p className="sy-error">{error}</p>;
  if (!report) return <p>Loading…</p>;
  const t = report.targets;
  return (
    <section aria-label="Alarm performance" data-testid="alarm-performance">
      <div className="sy-toolbar">
        <label>
          Period{' '}
          <select value={hours} onChange={(e) => setHours(Number(e.target.value))} aria-label="Period">
            {PERIODS.map(([l, h]) => (
              <option key={h} value={h}>
                {l}
              </option>
            ))}
          </select>
        </label>
      </div>
      <table>
        <thead>
          <tr>
            <th>Measure</th>
            <th>Value</th>
            <th>Target (ISA-18.2 / EEMUA 191)</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>Alarms per hour per operator position ({report.operator_positions} position(s))</td>
            <td>
              <Mark bad={report.assessment.alarm_rate !== 'acceptable'}>
                {report.alarms_per_hour_per_position} ({report.assessment.alarm_rate})
              </Mark>
            </td>
            <td>
              about {t.alarms_per_hour_acceptable} acceptable, at most {t.alarms_per_hour_max}
            </td>
          </tr>
          <tr>
            <td>Activations in the period</td>
            <td>{report.activations}</td>
            <td></td>
          </tr>
          <tr>
            <td>Floods (more than 10 in 10 minutes)</td>
            <td>
              <Mark bad={report.assessment.floods}>
                {report.floods.length} ({report.percent_time_in_flood} % of the time)
              </Mark>
            </td>
            <td>less than {t.percent_time_in_flood_max} % of the time</td>
          </tr>
          <tr>
            <td>Chattering alarms (3 or more transitions in a minute)</td>
            <td>
              <Mark bad={report.assessment.chattering}>{report.chattering.length}</Mark>
            </td>
            <td>none</td>
          </tr>
          <tr>
            <td>Stale alarms (active more than 24 h)</td>
            <td>
              <Mark bad={report.assessment.stale}>{report.stale.length}</Mark>
            </td>
            <td>fewer than {t.stale_max}</td>
          </tr>
          <tr>
            <td>Share of the ten most frequent alarms</td>
            <td>
              <Mark bad={report.assessment.top10}>{report.top10_percent} %</Mark>
            </td>
            <td>at most {t.top10_percent_max} %</td>
          </tr>
          <tr>
            <td>Priority distribution</td>
            <td>{Object.entries(report.priority_distribution).map(([p, n]) => `${p} ${n}`).join(', ') || '—'}</td>
            <td>about 80 % low, 15 % medium, 5 % high</td>
          </tr>
        </tbody>
      </table>
      <h2>Ten most frequent</h2>
      <ol data-testid="alarm-top10">
        {report.top10.map((a) => (
          <li key={a.alarm_id}>
            {a.name} ({a.priority}): {a.count} ({a.percent} %)
          </li>
        ))}
      </ol>
      {report.floods.length ? (
        <>
          <h2>Floods</h2>
          <ul>
            {report.floods.map((f) => (
              <li key={f.start}>
                {new Date(f.start).toLocaleString()} – {new Date(f.end).toLocaleTimeString()}: {f.count} alarms
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {report.chattering.length ? (
        <>
          <h2>Chattering</h2>
          <ul>
            {report.chattering.map((c) => (
              <li key={c.alarm_id}>
                {c.name}: {c.max_transitions_per_minute} transitions in a minute
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {report.stale.length ? (
        <>
          <h2>Stale</h2>
          <ul>
            {report.stale.map((s) => (
              <li key={s.alarm_id}>
                {s.name}: active since {new Date(s.active_since).toLocaleString()} ({s.hours} h)
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>Acknowledgements by operator</h2>
      <ul>
        {report.acknowledgements_by_user.map((u) => (
          <li key={u.user_name}>
            {u.user_name}: {u.count} ({u.per_hour} per hour)
          </li>
        ))}
      </ul>
    </section>
  );
}
