/**
 * Reports: every report the API has (GET /api/reports/catalog): pick the subject kind and subject (space
 * tree, meter, equipment, tenant, ... or none for the dashboard), the report, the period type it takes, the
 * reporting and base periods (date pickers, presets), then see the report document the workbook is drawn
 * from: key figures with their change against the base period, charts, tables. "Export Excel" downloads the
 * workbook. Numbers come from /api/reports (the energy pipeline); a long report shows its progress.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError, authHeaders } from '../../app/api';
import { apiBase } from '../../app/session';
import { formatNumber } from '../../ui/format';
import { periodProblem, preset, reportQuery, reportsOf, subjectKinds, type PeriodType, type Periods, type ReportDescription, type ReportDoc, type ReportRef } from './model';
import { ReportChart } from './ReportChart';

interface Option {
  id: number;
  label: string;
}
interface TreeNode {
  id: number;
  name: string;
  children: TreeNode[];
}

const flatten = (nodes: TreeNode[], depth = 0): Option[] => nodes.flatMap((n) => [{ id: n.id, label: `${'\u00a0\u00a0'.repeat(depth)}${n.name}` }, ...flatten(n.children, depth + 1)]);

const pct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${r >= 0 ? '+' : ''}${(r * 100).toFixed(1)} %`);
const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '' : formatNumber(v, '0.00'));
const cell = (v: string | number | null) => (v === null ? '—' : typeof v === 'number' ? fmt(v) : v);

async function saveWorkbook(path: string, name: string): Promise<void> {
  const res = await fetch(`${apiBase()}${path}`, { headers: authHeaders() });
  if (!res.ok) {
    const e = (await res.json().catch(() => ({}))) as { message?: string };
    throw new Error(e.message ?? `HTTP ${res.status}`);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const loadOptions = (kind: string): Promise<Option[]> =>
  kind === 'spaces' ? api.get<TreeNode[]>('/spaces/tree').then((t) => flatten(t)) : api.get<{ id: number; name: string }[]>(`/${kind}`).then((rows) => rows.map((r) => ({ id: r.id, label: r.name })));

/** A subject of one kind; picks the first one when the list arrives. */
function SubjectPicker({ of, value, onChange, onError }: { of: ReportRef; value: number | null; onChange: (id: number | null) => void; onError: (m: string) => void }) {
  const [options, setOptions] = useState<Option[] | null>(null);
  useEffect(() => {
    let live = true;
    setOptions(null);
    onChange(null);
    loadOptions(of.kind)
      .then((o) => {
        if (!live) return;
        setOptions(o);
        onChange(o[0]?.id ?? null);
      })
      .catch((e: Error) => live && onError(e.message));
    return () => {
      live = false;
    };
  }, [of.kind]);
  return (
    <label>
      {of.label}{' '}
      <select aria-label={of.label} value={value ?? ''} onChange={(e) => onChange(Number(e.target.value))} disabled={!options?.length}>
        {(options ?? []).map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
      {options && !options.length && <span className="notice"> No {of.label.toLowerCase()} to report on.</span>}
    </label>
  );
}

export default function ReportsScreen() {
  const [catalog, setCatalog] = useState<ReportDescription[]>([]);
  const [kind, setKind] = useState('spaces');
  const [reportName, setReportName] = useState('');
  const [ids, setIds] = useState<Record<string, number | null>>({});
  const initial = useMemo(() => preset('thismonth'), []);
  const [chosenType, setPeriodType] = useState<PeriodType>(initial.periodType);
  const [periods, setPeriods] = useState<Periods>(initial);
  const [withBase, setWithBase] = useState(true);
  const [busy, setBusy] = useState<{ started: number } | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ name: string; query: string; doc: ReportDoc } | null>(null);

  useEffect(() => {
    api
      .get<ReportDescription[]>('/reports/catalog')
      .then(setCatalog)
      .catch((e: Error) => setError(e.message));
  }, []);

  const kinds = useMemo(() => subjectKinds(catalog), [catalog]);
  const reports = useMemo(() => reportsOf(catalog, kind), [catalog, kind]);
  const report = reports.find((r) => r.name === reportName) ?? reports[0];
  useEffect(() => {
    if (report && report.name !== reportName) setReportName(report.name);
  }, [report, reportName]);
  const periodType: PeriodType = report && report.periodTypes.length && !report.periodTypes.includes(chosenType) ? report.periodTypes[0] : chosenType;
  const refs = report ? [...(report.subject ? [report.subject] : []), ...report.extra] : [];
  const ready = !!report && refs.every((r) => typeof ids[r.param] === 'number');

  useEffect(() => {
    if (!busy) return;
    const t = setInterval(() => setElapsed(Date.now() - busy.started), 200);
    return () => clearInterval(t);
  }, [busy]);

  const applyPreset = (name: Parameters<typeof preset>[0]) => {
    const p = preset(name);
    setPeriods(p);
    setPeriodType(p.periodType);
  };

  const run = async () => {
    if (!report || !ready) return;
    const problem = report.periodTypes.length ? periodProblem(periodType, periods, withBase && report.base) : null;
    if (problem) {
      setError(problem);
      return;
    }
    const query = reportQuery(report, Object.fromEntries(refs.map((r) => [r.param, ids[r.param] as number])), periodType, periods, withBase);
    setBusy({ started: Date.now() });
    setElapsed(0);
    setError(null);
    setResult(null);
    try {
      const doc = await api.get<ReportDoc>(`/reports/${report.name}/document?${query}`);
      setResult({ name: report.name, query, doc });
    } catch (e) {
      setResult(null);
      setError(e instanceof ApiError ? `${e.message}${e.field ? ` (${e.field})` : ''}` : (e as Error).message);
    } finally {
      setBusy(null);
    }
  };

  const exportExcel = async () => {
    if (!result) return;
    setError(null);
    setBusy({ started: Date.now() });
    try {
      await saveWorkbook(`/reports/${result.name}/export?${result.query}`, `${result.name}.xlsx`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };

  const date = (key: keyof Periods, label: string, disabled = false) => (
    <label>
      {label} <input type="date" aria-label={label} value={periods[key]} disabled={disabled} onChange={(e) => setPeriods({ ...periods, [key]: e.target.value })} required={key.startsWith('reporting')} />
    </label>
  );
  const doc = result?.doc;
  const showBase = !!doc?.base;

  return (
    <section className="screen reports">
      <h1>Reports</h1>
      <form
        className="toolbar"
        aria-label="Report choice"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          Subject{' '}
          <select aria-label="Subject" value={kind} onChange={(e) => setKind(e.target.value)}>
            {kinds.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        {refs.map((r) => (
          <SubjectPicker key={`${r.kind}:${r.param}`} of={r} value={ids[r.param] ?? null} onChange={(id) => setIds((x) => ({ ...x, [r.param]: id }))} onError={setError} />
        ))}
        <label>
          Report{' '}
          <select aria-label="Report" value={report?.name ?? ''} onChange={(e) => setReportName(e.target.value)}>
            {reports.map((r) => (
              <option key={r.name} value={r.name}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Period type{' '}
          <select aria-label="Period type" value={periodType} onChange={(e) => setPeriodType(e.target.value as PeriodType)} disabled={!report || report.periodTypes.length < 2}>
            {(report?.periodTypes.length ? report.periodTypes : (['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const)).map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
      </form>
      <div className="toolbar">
        {date('reportingStart', 'From', !report?.periodTypes.length)}
        {date('reportingEnd', 'To (exclusive)', !report?.periodTypes.length)}
        <label>
          <input type="checkbox" aria-label="Compare with the base period" checked={withBase} disabled={!report?.base} onChange={(e) => setWithBase(e.target.checked)} /> Compare with
        </label>
        {date('baseStart', 'Base from', !report?.base)}
        {date('baseEnd', 'Base to', !report?.base)}
        <span role="group" aria-label="Presets">
          <button type="button" onClick={() => applyPreset('thismonth')}>This month</button> <button type="button" onClick={() => applyPreset('lastmonth')}>Last month</button>{' '}
          <button type="button" onClick={() => applyPreset('thisyear')}>This year</button> <button type="button" onClick={() => applyPreset('lastyear')}>Last year</button>
        </span>
      </div>
      <div className="toolbar">
        <button type="button" className="primary" disabled={!!busy || !ready} onClick={() => void run()}>
          Run report
        </button>
        <button type="button" disabled={!!busy || !result} onClick={() => void exportExcel()}>
          Export Excel
        </button>
        {busy && (
          <span role="status" aria-live="polite">
            <progress aria-label="Report progress" /> Working… {(elapsed / 1000).toFixed(1)} s
          </span>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {doc && (
        <div className="report-result" aria-label="Report result">
          <h2>
            {doc.title}: {doc.subjectName}
          </h2>
          <p className="notice">
            {doc.reporting ? `${doc.reporting.start} – ${doc.reporting.end}` : ''}
            {doc.base ? ` · base ${doc.base.start} – ${doc.base.end}` : ''} · {doc.timezone}
          </p>
          <div className="report-figures">
            {doc.figures.map((f) => (
              <div key={f.label} className="report-figure">
                <div className="report-figure-label">{f.label}</div>
                <div className="report-figure-value num">
                  {f.value === null ? 'no data' : fmt(f.value)} <small>{f.unit}</small>
                </div>
                <div className="report-figure-change">
                  {showBase && f.base !== undefined ? `${pct(f.rate)} vs base (${f.base === null ? '—' : fmt(f.base)})` : ''}
                  {f.missing ? ` · ${f.missing} period(s) without data` : ''}
                </div>
              </div>
            ))}
          </div>
          {doc.charts.filter((c) => c.categories.length > 0).map((c) => (
            <ReportChart key={c.title} chart={c} />
          ))}
          {doc.tables.map((t) => (
            <table key={t.title} className="grid" aria-label={t.title}>
              <caption>{t.title}</caption>
              <thead>
                <tr>
                  {t.columns.map((c, i) => (
                    <th key={`${i}:${c}`} className={i ? 'num' : undefined}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {t.rows.map((r, k) => (
                  <tr key={k}>
                    {r.map((v, i) => (
                      <td key={i} className={typeof v === 'number' ? 'num' : undefined}>
                        {cell(v)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
          {doc.notes.map((n) => (
            <p key={n} className="notice">
              {n}
            </p>
          ))}
        </div>
      )}
    </section>
  );
}
