/** Commissioning tools in the configuration screens: point-list import, data source diagnostics, read now. */
import { useState } from 'react';
import { api, ApiError } from '../../app/api';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function PointListImport({ dataSourceId, onImported }: { dataSourceId: number; onImported: () => void }) {
  const [result, setResult] = useState<string | null>(null);
  const [rows, setRows] = useState<{ row?: number; field?: string; message: string }[]>([]);
  const upload = async (file: File) => {
    setResult(null);
    setRows([]);
    const type = file.name.toLowerCase().endsWith('.xlsx') ? XLSX : 'text/csv';
    try {
      const r = await api.upload<{ imported: number }>(`/datasources/${dataSourceId}/pointlist`, await file.arrayBuffer(), type);
      setResult(`${r.imported} points imported.`);
      onImported();
    } catch (e) {
      if (e instanceof ApiError && e.errors?.length) {
        setResult('Nothing was imported: fix these rows and try again.');
        setRows(e.errors);
      } else setResult(`Nothing was imported: ${(e as Error).message}`);
    }
  };
  return (
    <section className="tool" aria-label="Point list import">
      <h3>Import a point list (CSV or .xlsx)</h3>
      <input type="file" accept=".csv,.xlsx,text/csv" aria-label="Point list file" onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])} />
      {result && <p role="status">{result}</p>}
      {rows.length > 0 && (
        <table className="grid" aria-label="Rows with errors">
          <thead>
            <tr>
              <th>Row</th>
              <th>Field</th>
              <th>Problem</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                <td>{r.row ?? '-'}</td>
                <td>{r.field ?? '-'}</td>
                <td>{r.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Diagnostics({ dataSourceId }: { dataSourceId: number }) {
  const [d, setD] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    void api
      .get<Record<string, unknown>>(`/datasources/${dataSourceId}/diagnostics`)
      .then((x) => {
        setD(x);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  return (
    <section className="tool" aria-label="Diagnostics">
      <h3>Diagnostics</h3>
      <button type="button" onClick={load}>
        Refresh diagnostics
      </button>
      {error && <p className="error">{error}</p>}
      {d && <pre className="diagnostics">{JSON.stringify(d, null, 2)}</pre>}
    </section>
  );
}

export function ReadNow({ pointId }: { pointId: number }) {
  const [r, setR] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const read = () =>
    void api
      .post<Record<string, unknown>>(`/points/${pointId}/readnow`)
      .then((x) => {
        setR(x);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  return (
    <section className="tool" aria-label="Read now">
      <h3>Read now</h3>
      <button type="button" onClick={read}>
        Read now
      </button>
      {error && <p className="error">{error}</p>}
      {r && (
        <dl className="readnow">
          <dt>Raw</dt>
          <dd data-testid="readnow-raw">{JSON.stringify(r.raw)}</dd>
          <dt>Value</dt>
          <dd data-testid="readnow-value">{String(r.value)}</dd>
          <dt>Quality</dt>
          <dd>{String(r.quality)}</dd>
          {r.request ? (
            <>
              <dt>Request</dt>
              <dd>
                <code>{String(r.request)}</code>
              </dd>
            </>
          ) : null}
          {r.response ? (
            <>
              <dt>Response</dt>
              <dd>
                <code>{String(r.response)}</code>
              </dd>
            </>
          ) : null}
          {r.error ? (
            <>
              <dt>Error</dt>
              <dd>{String(r.error)}</dd>
            </>
          ) : null}
        </dl>
      )}
    </section>
  );
}
