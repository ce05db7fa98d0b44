/**
 * The demand response console: events (create, watch, opt out, cancel, ecobee and its answers), resources with
 * their live setpoints, programs and participants, partners with their roles and enrolment (Partners.tsx). Times are entered and shown in the site's time zone (the top space's) and sent with their offset.
 */
import { DateTime } from 'luxon';
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, authHeaders } from '../../app/api';
import { apiBase, canConfigure, canOperate } from '../../app/session';
import { useConfirm } from '../../ui/Confirm';
import { PointValue } from '../../ui/PointValue';
import { useSiteZone } from '../../ui/siteZone';
import { EcobeeAnswers, EcobeeSend, type EcobeeState } from './Ecobee';
import { type EnrolProgram, type Partner, PartnersPanel } from './Partners';
import './dr.css';

interface DrEvent {
  id: number;
  uuid: string;
  name: string;
  program_id: number | null;
  priority: number;
  target_resources: number[];
  interval_period: { start: string; duration: string };
  payload: { type: string; value: number };
  mandatory: boolean;
  status: string;
  opt_outs: number[];
  ecobee?: EcobeeState | null;
}
interface Resource {
  id: number;
  resource_id: string;
  point_id: number | null;
  partner: { id: number; name: string } | null;
}
type Program = EnrolProgram;
interface Participant {
  code: string;
  contactUser: string;
  phoneContact: string;
}

const PAYLOAD_TYPES = ['PowerLevel', 'DISPATCH_SETPOINT', 'CurrentLevel', 'SIMPLE', 'PRICE'];

/** "PT2H30M" -> minutes */
export function durationMinutes(d: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?/.exec(d);
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : 0;
}

/** A datetime-local value, read in the site's time zone -> ISO 8601 with its offset (correct across DST). */
export function localToIso(value: string, zone: string): string {
  return DateTime.fromISO(value, { zone }).toISO({ suppressMilliseconds: true })!;
}

/** An instant shown in the site's time zone. */
export const inZone = (iso: string, zone: string) => DateTime.fromISO(iso).setZone(zone).toFormat('yyyy-LL-dd HH:mm');

function EventForm({ programs, resources, zone, onCreated }: { programs: Program[]; resources: Resource[]; zone: string; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [program, setProgram] = useState('');
  const [start, setStart] = useState(() => DateTime.now().setZone(zone).plus({ hours: 1 }).startOf('hour').toFormat("yyyy-LL-dd'T'HH:mm"));
  const [minutes, setMinutes] = useState('60');
  const [type, setType] = useState('PowerLevel');
  const [value, setValue] = useState('50');
  const [targets, setTargets] = useState<number[]>([]);
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const submit = async () => {
    setError(null);
    try {
      await api.post('/dr/events', {
        name,
        program_id: program ? Number(program) : null,
        target_resources: targets,
        interval_period: { start: localToIso(start, zone), duration: `PT${Number(minutes)}M` },
        payload: { type, value: Number(value) },
        status: 'scheduled',
      });
      setName('');
      onCreated();
    } catch (e) {
      setError(e instanceof ApiError ? { field: e.field, message: e.message } : { message: (e as Error).message });
    }
  };
  const fieldError = (f: string) => (error?.field === f ? <span className="field-error" role="alert">✕ {error.message}</span> : null);
  return (
    <form
      className="dr-form"
      aria-label="New event"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        Name <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      {fieldError('name')}
      <label>
        Program
        <select value={program} onChange={(e) => setProgram(e.target.value)}>
          <option value="">—</option>
          {programs.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Start ({zone}) <input type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} required />
      </label>
      <label>
        Duration (minutes) <input type="number" min={1} value={minutes} onChange={(e) => setMinutes(e.target.value)} required />
      </label>
      {fieldError('interval_period')}
      <label>
        Payload
        <select value={type} onChange={(e) => setType(e.target.value)}>
          {PAYLOAD_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <input type="number" step="any" value={value} onChange={(e) => setValue(e.target.value)} aria-label="Payload value" />
      </label>
      {fieldError('payload')}
      <fieldset>
        <legend>Targets</legend>
        {resources.map((r) => (
          <label key={r.id}>
            <input type="checkbox" checked={targets.includes(r.id)} onChange={(e) => setTargets((t) => (e.target.checked ? [...t, r.id] : t.filter((x) => x !== r.id)))} /> {r.resource_id}
          </label>
        ))}
      </fieldset>
      {fieldError('target_resources')}
      {error && !error.field && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      <button type="submit" className="primary">
        Schedule event
      </button>
    </form>
  );
}

async function downloadXlsx(eventId: number): Promise<void> {
  const res = await fetch(`${apiBase()}/dr/events/${eventId}/performance.xlsx`, { headers: authHeaders() });
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `dr-event-${eventId}-performance.xlsx`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Aggregate measured load against the baseline while an event runs. */
function RunningPerformance({ eventId }: { eventId: number }) {
  const [p, setP] = useState<{ resources: { baseline_kw: number | null; actual_kw: number | null }[]; delivered_kw: number | null } | null>(null);
  useEffect(() => {
    const load = () => void api.get<NonNullable<typeof p>>(`/dr/events/${eventId}/performance`).then(setP).catch(() => undefined);
    load();
    const t = setInterval(load, 10_000);
    return () => clearInterval(t);
  }, [eventId]);
  if (!p) return null;
  const total = (k: 'baseline_kw' | 'actual_kw') => p.resources.reduce((a, r) => a + (r[k] ?? 0), 0);
  return (
    <p data-testid="running-performance">
      Load {total('actual_kw').toFixed(1)} kW against a baseline of {total('baseline_kw').toFixed(1)} kW; delivered {p.delivered_kw === null ? '-' : p.delivered_kw.toFixed(1)} kW.
    </p>
  );
}

/** The next 48 hours: each event a bar from its start to its end. */
function Timeline({ events, zone }: { events: DrEvent[]; zone: string }) {
  const from = DateTime.now().setZone(zone).startOf('hour');
  const span = 48 * 3_600_000;
  const shown = events.filter((e) => e.status !== 'cancelled' && e.status !== 'draft');
  return (
    <div className="dr-timeline" role="img" aria-label="Events over the next 48 hours">
      {[0, 12, 24, 36].map((h) => (
        <span key={h} className="dr-tick" style={{ left: `${(h / 48) * 100}%` }}>
          {from.plus({ hours: h }).toFormat('ccc HH:mm')}
        </span>
      ))}
      {shown.map((e, i) => {
        const s = Date.parse(e.interval_period.start) - from.toMillis();
        const len = durationMinutes(e.interval_period.duration) * 60_000;
        if (s + len < 0 || s > span) return null;
        const left = Math.max(0, s / span) * 100;
        const width = Math.max(0.5, (Math.min(span, s + len) - Math.max(0, s)) / span * 100);
        return (
          <span key={e.id} className={`dr-bar dr-${e.status}`} style={{ left: `${left}%`, width: `${width}%`, top: `${18 + (i % 3) * 14}px` }} title={`${e.name} (${e.status})`}>
            {e.name}
          </span>
        );
      })}
    </div>
  );
}

export default function DemandResponseScreen() {
  const [events, setEvents] = useState<DrEvent[]>([]);
  const [resources, setResources] = useState<Resource[]>([]);
  const [programs, setPrograms] = useState<Program[]>([]);
  const [participants, setParticipants] = useState<Participant[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const siteZone = useSiteZone();
  const zone = siteZone ?? 'UTC';
  const [reports, setReports] = useState<{ id: string; name: string | null; event_name: string | null; partner: string | null; created_at: string }[]>([]);
  const [ecobeeFor, setEcobeeFor] = useState<number | null>(null);
  const [partners, setPartners] = useState<Partner[]>([]);
  const [deliveries, setDeliveries] = useState<{ id: number; partner: string; operation: string; status: string; attempts: number; last_error: string | null; created_at: string }[]>([]);
  const load = useCallback(async () => {
    const [e, r, p, pa] = await Promise.all([
      api.get<DrEvent[]>('/dr/events'),
      api.get<Resource[]>('/dr/resources'),
      api.get<Program[]>('/dr/programs'),
      api.get<{ events: Participant[] }>('/dr/participants').catch(() => ({ events: [] })),
    ]);
    setEvents(e);
    setResources(r);
    setPrograms(p);
    setParticipants(pa.events);
    setReports(await api.get<typeof reports>('/dr/reports').catch(() => []));
    // the webhook deliveries are the administrator's (the server refuses others)
    if (canConfigure()) setDeliveries(await api.get<typeof deliveries>('/dr/deliveries').catch(() => []));
    if (canConfigure()) setPartners(await api.get<Partner[]>('/dr/partners').catch(() => []));
  }, []);
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, [load]);
  const act = async (fn: () => Promise<unknown>, ok: string) => {
    try {
      await fn();
      setMessage(ok);
      await load();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  const [confirmDialog, ask] = useConfirm();
  const resourceName = (id: number) => resources.find((r) => r.id === id)?.resource_id ?? `#${id}`;
  const running = events.filter((e) => e.status === 'active');
  return (
    <section className="screen dr">
      <h1>Demand response</h1>
      <p className="muted">{siteZone ? `Times in ${siteZone}.` : "Reading the site's time zone…"}</p>
      <Timeline events={events} zone={zone} />
      {message && <p role="status">{message}</p>}
      {running.map((e) => (
        <section key={e.id} className="dr-running" aria-label={`Running: ${e.name}`}>
          <h2>Running: {e.name}</h2>
          <p>
            {e.payload.type} {e.payload.value} until {inZone(new Date(Date.parse(e.interval_period.start) + durationMinutes(e.interval_period.duration) * 60_000).toISOString(), zone)}
          </p>
          <RunningPerformance eventId={e.id} />
          <table className="grid">
            <tbody>
              {e.target_resources.map((rid) => {
                const r = resources.find((x) => x.id === rid);
                return (
                  <tr key={rid}>
                    <td>{resourceName(rid)}</td>
                    <td className="num">{r?.point_id ? <PointValue pointId={r.point_id} format="0.0" /> : '-'}</td>
                    <td>
                      {e.opt_outs.includes(rid) ? (
                        'opted out'
                      ) : !canOperate() || (e.mandatory && !canConfigure()) ? null : (
                        <button type="button" onClick={() => void act(() => api.put(`/dr/events/${e.id}/optout`, { resource_id: rid }), `${resourceName(rid)} opted out.`)}>
                          Opt out
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      ))}
      <div className="dr-columns">
        <section aria-label="Events">
          <h2>Events</h2>
          <table className="grid" aria-label="Event list">
            <thead>
              <tr>
                <th>Event</th>
                <th>Status</th>
                <th>Start</th>
                <th>Minutes</th>
                <th>Payload</th>
                <th>Targets</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{e.name}</td>
                  <td data-testid={`status-${e.id}`}>{e.status}</td>
                  <td>{inZone(e.interval_period.start, zone)}</td>
                  <td className="num">{durationMinutes(e.interval_period.duration)}</td>
                  <td>
                    {e.payload.type} {e.payload.value}
                  </td>
                  <td>{e.target_resources.map(resourceName).join(', ') || '-'}</td>
                  <td>
                    {e.status !== 'draft' && e.status !== 'scheduled' && (
                      <>
                        <button
                          type="button"
                          onClick={() =>
                            void api
                              .get<{ delivered_kw: number | null; delivered_kwh: number | null }>(`/dr/events/${e.id}/performance`)
                              .then((p) => setMessage(`${e.name}: delivered ${p.delivered_kw?.toFixed(1) ?? '-'} kW on average, ${p.delivered_kwh?.toFixed(1) ?? '-'} kWh against the baseline.`))
                          }
                        >
                          Performance
                        </button>
                        <button type="button" onClick={() => void downloadXlsx(e.id)}>
                          Excel
                        </button>
                      </>
                    )}
                    {canConfigure() && (e.status === 'scheduled' || e.status === 'active') && (
                      <button type="button" onClick={() => setEcobeeFor((x) => (x === e.id ? null : e.id))}>
                        ecobee…
                      </button>
                    )}
                    {canConfigure() && (e.status === 'scheduled' || e.status === 'active' || e.status === 'draft') && (
                      <button
                        type="button"
                        onClick={() => {
                          void ask({ title: 'Cancel event', message: `Cancel event ${e.name}? Assets return to their pre-event state.`, confirm: 'Cancel event', dismiss: 'Keep it' }).then((ok) => {
                            if (ok) void act(() => api.put(`/dr/events/${e.id}/cancel`), `${e.name} cancelled.`);
                          });
                        }}
                      >
                        Cancel
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {ecobeeFor !== null && events.some((x) => x.id === ecobeeFor) && (
            <EcobeeSend
              event={events.find((x) => x.id === ecobeeFor)!}
              zone={zone}
              onDone={(m) => {
                setEcobeeFor(null);
                setMessage(m);
              }}
            />
          )}
          <EcobeeAnswers events={events} show={(iso) => inZone(iso, zone)} />
          {canConfigure() && (
            <>
              <h2>New event</h2>
              {siteZone === null ? (
                <p className="muted">Reading the site's time zone…</p>
              ) : (
                <EventForm key={siteZone} programs={programs} resources={resources} zone={siteZone} onCreated={() => void load().then(() => setMessage('Event scheduled.'))} />
              )}
            </>
          )}
        </section>
        <section aria-label="Resources and participants">
          <h2>Resources</h2>
          <table className="grid">
            <tbody>
              {resources.map((r) => (
                <tr key={r.id}>
                  <td>{r.resource_id}</td>
                  <td>{r.partner ? `partner ${r.partner.name}` : 'local asset'}</td>
                  <td className="num">{r.point_id ? <PointValue pointId={r.point_id} format="0.0" /> : '-'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Programs</h2>
          <ul>
            {programs.map((p) => (
              <li key={p.id}>{p.name}</li>
            ))}
          </ul>
          <h2>Partner reports</h2>
          <ul aria-label="Partner reports">
            {reports.slice(0, 20).map((r) => (
              <li key={r.id}>
                {r.partner ?? '-'}: {r.name ?? 'report'} on {r.event_name ?? 'no event'} ({inZone(r.created_at, zone)})
              </li>
            ))}
            {reports.length === 0 && <li className="muted">none</li>}
          </ul>
          <h2>Webhook deliveries</h2>
          <table className="grid" aria-label="Webhook deliveries">
            <tbody>
              {deliveries.slice(0, 20).map((d) => (
                <tr key={d.id}>
                  <td>{d.partner}</td>
                  <td>{d.operation}</td>
                  <td className={d.status === 'failed' ? 'abnormal' : ''}>{d.status === 'failed' ? `✕ failed: ${d.last_error ?? ''}` : d.status}</td>
                  <td className="num">{d.attempts}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Participants</h2>
          <ul>
            {participants.map((p) => (
              <li key={p.code}>
                {p.code}: {p.contactUser}, {p.phoneContact}
              </li>
            ))}
          </ul>
        </section>
      </div>
      {canConfigure() && <PartnersPanel partners={partners} programs={programs} resources={resources} onChange={(m) => void load().then(() => setMessage(m))} />}
      {confirmDialog}
    </section>
  );
}
