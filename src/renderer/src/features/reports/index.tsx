/**
 * Reports: pick a subject (space tree, meter, equipment, tenant, ...), a report family, the period type and
 * the reporting and base periods (date pickers, presets), then see the MyEMS report: key figures with their
 * change against the base period, the stacked chart, the period table; "Export Excel" downloads the workbook.
 * Numbers come from /api/reports (the energy pipeline); a long report shows its progress.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError, authHeaders } from '../../app/api';
import { apiBase } from '../../app/session';
import { formatNumber } from '../../ui/format';
import { periodProblem, preset, reportQuery, SUBJECTS, viewOf, type PeriodType, type Periods, type SubjectKind, type View } from './model';
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

const pct = (r: number | null) => (r === null ? '—' : `${r >= 0 ? '+' : ''}${(r * 100).toFixed(1)} %`);
const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '' : formatNumber(v, '0.00'));

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

export default function ReportsScreen() {
  const [kind, setKind] = useState<SubjectKind>('spaces');
  const subject = SUBJECTS.find((s) => s.kind === kind)!;
  const [options, setOptions] = useState<Option[]>([]);
  const [subjectId, setSubjectId] = useState<number | null>(null);
  const [family, setFamily] = useState(subject.families[0].name);
  const initial = useMemo(() => preset('thismonth'), []);
  const [periodType, setPeriodType] = useState<PeriodType>(initial.periodType);
  const [periods, setPeriods] = useState<Periods>(initial);
  const [withBase, setWithBase] = useState(true);
  const [busy, setBusy] = useState<{ started: number } | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ name: string; query: string; view: View; title: string } | null>(null);

  useEffect(() => {
    let live = true;
    setOptions([]);
    setSubjectId(null);
    const load = kind === 'spaces' ? api.get<TreeNode[]>('/spaces/tree').then((t) => flatten(t)) : api.get<{ id: number; name: string }[]>(`/${kind}`).then((rows) => rows.map((r) => ({ id: r.id, label: r.name })));
    load
      .then((o) => {
        if (!live) return;
        setOptions(o);
        setSubjectId(o[0]?.id ?? null);
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [kind]);

  useEffect(() => {
    if (!subject.families.some((f) => f.name === family)) setFamily(subject.families[0].name);
  }, [subject, family]);

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
    if (subjectId === null) return;
    const problem = periodProblem(periodType, periods, withBase);
    if (problem) {
      setError(problem);
      return;
    }
    const name = `${subject.stem}${family}`;
    const query = reportQuery(subject, subjectId, periodType, periods, withBase);
    setBusy({ started: Date.now() });
    setElapsed(0);
    setError(null);
    try {
      const json = await api.get<Record<string, unknown>>(`/reports/${name}?${query}&quickmode=true`);
      const label = options.find((o) => o.id === subjectId)?.label.trim() ?? '';
      setResult({ name, query, view: viewOf(family, json), title: `${subject.label} ${label}: ${subject.families.find((f) => f.name === family)?.label}` });
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

  const date = (key: keyof Periods, label: string) => (
    <label>
      {label} <input type="date" aria-label={label} value={periods[key]} onChange={(e) => setPeriods({ ...periods, [key]: e.target.value })} required={key.startsWith('reporting')} />
    </label>
  );

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
          <select aria-label="Subject" value={kind} onChange={(e) => setKind(e.target.value as SubjectKind)}>
            {SUBJECTS.map((s) => (
              <option key={s.kind} value={s.kind}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          {subject.label}{' '}
          <select aria-label={subject.label} value={subjectId ?? ''} onChange={(e) => setSubjectId(Number(e.target.value))} disabled={!options.length}>
            {options.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Report{' '}
          <select aria-label="Report" value={family} onChange={(e) => setFamily(e.target.value)}>
            {subject.families.map((f) => (
              <option key={f.name} value={f.name}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Period type{' '}
          <select aria-label="Period type" value={periodType} onChange={(e) => setPeriodType(e.target.value as PeriodType)}>
            {(['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const).map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
      </form>
      <div className="toolbar">
        {date('reportingStart', 'From')}
        {date('reportingEnd', 'To (exclusive)')}
        <label>
          <input type="checkbox" aria-label="Compare with the base period" checked={withBase} onChange={(e) => setWithBase(e.target.checked)} /> Compare with
        </label>
        {date('baseStart', 'Base from')}
        {date('baseEnd', 'Base to')}
        <span role="group" aria-label="Presets">
          <button type="button" onClick={() => applyPreset('thismonth')}>This month</button> <button type="button" onClick={() => applyPreset('lastmonth')}>Last month</button>{' '}
          <button type="button" onClick={() => applyPreset('thisyear')}>This year</button> <button type="button" onClick={() => applyPreset('lastyear')}>Last year</button>
        </span>
      </div>
      <div className="toolbar">
        <button type="button" className="primary" disabled={!!busy || subjectId === null} onClick={() => void run()}>
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
        {!options.length && !error && <span className="notice">No {subject.label.toLowerCase()} to report on.</span>}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <div className="report-result" aria-label="Report result">
          <h2>{result.title}</h2>
          <div className="report-figures">
            {result.view.figures.map((f) => (
              <div key={f.label} className="report-figure">
                <div className="report-figure-label">{f.label}</div>
                <div className="report-figure-value num">
                  {f.value === null ? 'no data' : fmt(f.value)} <small>{f.unit}</small>
                </div>
                <div className="report-figure-change">
                  {withBase ? `${pct(f.rate)} vs base (${f.base === null ? '—' : fmt(f.base)})` : ''}
                  {f.missing ? ` · ${f.missing} period(s) without data` : ''}
                </div>
              </div>
            ))}
          </div>
          {result.view.timestamps.length > 0 && <ReportChart view={result.view} />}
          <table className="grid" aria-label="Report periods">
            <thead>
              <tr>
                <th>Period</th>
                {result.view.series.map((s) => (
                  <th key={s.name} className="num">
                    {s.name} ({s.unit})
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.view.timestamps.map((t, i) => (
                <tr key={t}>
                  <td>{t}</td>
                  {result.view.series.map((s) => (
                    <td key={s.name} className="num">
                      {s.values[i] === null || s.values[i] === undefined ? '—' : fmt(s.values[i])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
