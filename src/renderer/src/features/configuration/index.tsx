/**
 * Configuration screens generated from the entity registry (/api/meta/entities): lists with search and sort,
 * generated forms, bind/unbind, children, export/import/clone, and the commissioning tools.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../../app/api';
import { canConfigure, canOperate } from '../../app/session';
import { PointValue } from '../../ui/PointValue';
import { useConfirm } from '../../ui/Confirm';
import { download } from '../../ui/data';
import { EntityForm } from './EntityForm';
import type { EntityMeta } from './meta';
import { SparkplugStatus } from './SparkplugStatus';
import { Diagnostics, PointListImport, ReadNow } from './Tools';
import './configuration.css';

type Row = Record<string, unknown> & { id: number };

const nameOf = (e: EntityMeta, r: Row) => String(r[e.nameField ?? 'name'] ?? `#${r.id}`);

function Relation({ owner, id, rel, metaOf }: { owner: EntityMeta; id: number; rel: EntityMeta['relations'][number]; metaOf: (k: string) => EntityMeta | undefined }) {
  const target = metaOf(rel.target);
  const [bound, setBound] = useState<Row[]>([]);
  const [all, setAll] = useState<Row[]>([]);
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => void api.get<Row[]>(`/${owner.path}/${id}/${rel.name}`).then(setBound), [owner.path, id, rel.name]);
  useEffect(() => {
    load();
    if (target?.path && canConfigure()) void api.get<Row[]>(`/${target.path}`).then(setAll);
  }, [load, target?.path]);
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (!target) return null;
  const admin = canConfigure();
  return (
    <section className="relation" aria-label={rel.label}>
      <h3>{rel.label}</h3>
      <ul>
        {bound.map((b) => (
          <li key={b.id}>
            {nameOf(target, b)}{' '}
            {admin && <button type="button" onClick={() => void run(() => api.del(`/${owner.path}/${id}/${rel.name}/${b.id}`))} aria-label={`Unbind ${nameOf(target, b)}`}>
              Unbind
            </button>}
          </li>
        ))}
        {bound.length === 0 && <li className="muted">none</li>}
      </ul>
      {admin && (
      <>
      <select value={choice} onChange={(e) => setChoice(e.target.value)} aria-label={`${target.label} to bind`}>
        <option value="">— {target.label} —</option>
        {all
          .filter((a) => !bound.some((b) => b.id === a.id))
          .map((a) => (
            <option key={a.id} value={a.id}>
              {nameOf(target, a)}
            </option>
          ))}
      </select>
      <button type="button" disabled={!choice} onClick={() => void run(() => api.post(`/${owner.path}/${id}/${rel.name}`, { [rel.field]: Number(choice) }))}>
        Bind
      </button>
      </>
      )}
      {error && <p className="error">{error}</p>}
    </section>
  );
}

function Nested({ owner, id, child, metaOf }: { owner: EntityMeta; id: number; child: EntityMeta['children'][number]; metaOf: (k: string) => EntityMeta | undefined }) {
  const entity = metaOf(child.entity);
  const [rows, setRows] = useState<Row[]>([]);
  const [editing, setEditing] = useState<Row | 'new' | null>(null);
  const [confirmDialog, ask] = useConfirm();
  const base = `/${owner.path}/${id}/${child.name}`;
  const load = useCallback(() => void api.get<Row[]>(base).then(setRows).catch(() => setRows([])), [base]);
  useEffect(load, [load]);
  if (!entity) return null;
  const nestedOnly = entity.nestedUnder?.entity === owner.key && canConfigure();
  const remove = (r: Row) =>
    void ask({ title: `Delete ${entity.label.toLowerCase()}`, message: `Delete ${entity.label.toLowerCase()} ${entity.nameField ? nameOf(entity, r) : `#${r.id}`}?`, confirm: 'Delete' }).then(
      (ok) => {
        if (ok) void api.del(`${base}/${r.id}`).then(load);
      },
    );
  const itemPath = nestedOnly ? base : `/${entity.path}`;
  return (
    <section className="relation" aria-label={entity.label}>
      <h3>
        {entity.label} ({rows.length})
      </h3>
      <ul>
        {rows.map((r) => (
          <li key={r.id}>
            {entity.nameField ? nameOf(entity, r) : `#${r.id}`}{' '}
            {nestedOnly && (
              <>
                <button type="button" onClick={() => setEditing(r)}>
                  Edit
                </button>
                <button type="button" onClick={() => remove(r)}>
                  Delete
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      {nestedOnly && (
        <button type="button" onClick={() => setEditing('new')}>
          Add {entity.label.toLowerCase()}
        </button>
      )}
      {editing && (
        <EntityForm
          entity={entity}
          row={editing === 'new' ? null : editing}
          fixed={{ [child.field]: id }}
          metaOf={metaOf}
          basePath={itemPath}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            load();
          }}
        />
      )}
      {confirmDialog}
    </section>
  );
}

export default function ConfigurationScreen() {
  const [meta, setMeta] = useState<EntityMeta[]>([]);
  const [key, setKey] = useState<string | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<{ col: string; desc: boolean }>({ col: 'id', desc: false });
  const [selected, setSelected] = useState<Row | 'new' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);
  const [importText, setImportText] = useState('');

  useEffect(() => {
    void api.get<EntityMeta[]>('/meta/entities').then((all) => {
      const m = canConfigure() ? all : all.filter((e) => !e.readAdminOnly);
      setMeta(m);
      const wanted = /^#\/configuration\/(\w+)/.exec(window.location.hash)?.[1];
      setKey((k) => k ?? (m.some((e) => e.key === wanted) ? wanted! : 'datasources'));
    });
  }, []);
  const byKey = useMemo(() => new Map(meta.map((m) => [m.key, m])), [meta]);
  const metaOf = useCallback((k: string) => byKey.get(k), [byKey]);
  const entity = key ? byKey.get(key) : undefined;

  const load = useCallback(async () => {
    if (!entity?.path) return;
    setRows(await api.get<Row[]>(`/${entity.path}`));
  }, [entity]);
  useEffect(() => {
    setSelected(null);
    setSearch('');
    setMessage(null);
    void load().catch((e: Error) => setMessage(e.message));
  }, [load]);

  const columns = entity ? ['id', ...(entity.nameField ? [entity.nameField] : []), ...entity.fields.filter((f) => !f.writeOnly && f.name !== entity.nameField && ['string', 'enum', 'integer', 'number', 'boolean'].includes(f.type)).slice(0, 3).map((f) => f.name)] : [];
  const shown = rows
    .filter((r) => !search || JSON.stringify(r).toLowerCase().includes(search.toLowerCase()))
    .sort((a, b) => {
      const x = a[sort.col] as string | number;
      const y = b[sort.col] as string | number;
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''));
      return sort.desc ? -c : c;
    });

  const act = async (fn: () => Promise<unknown>, ok: string) => {
    setMessage(null);
    try {
      await fn();
      setMessage(ok);
      await load();
    } catch (e) {
      setMessage(e instanceof ApiError ? `${e.message} (${e.description})` : (e as Error).message);
    }
  };

  const [confirmDialog, ask] = useConfirm();
  const groups = [...new Set(meta.filter((m) => m.path).map((m) => m.group))];
  // the configuration is the administrator's: others see it (View), and are offered no change the server refuses
  const admin = canConfigure();
  const row = selected && selected !== 'new' ? selected : null;
  return (
    <section className="screen configuration">
      <nav className="sub-nav entity-nav" aria-label="Entities">
        {groups.map((g) => (
          <div key={g}>
            <h2>{g}</h2>
            {meta
              .filter((m) => m.group === g && m.path)
              .map((m) => (
                <button key={m.key} type="button" aria-pressed={m.key === key} onClick={() => setKey(m.key)}>
                  {m.label}
                </button>
              ))}
          </div>
        ))}
      </nav>
      {entity && (
        <div className="entity-main">
          <h1>{entity.label}</h1>
          <div className="toolbar">
            <input type="search" placeholder={`Search ${entity.label.toLowerCase()}s`} aria-label="Search" value={search} onChange={(e) => setSearch(e.target.value)} />
            {admin && (
              <button type="button" onClick={() => setSelected('new')}>
                New {entity.label.toLowerCase()}
              </button>
            )}
            {admin && entity.import && (
              <button type="button" onClick={() => setImporting((v) => !v)}>
                Import…
              </button>
            )}
          </div>
          {importing && (
            <div className="import-box">
              <textarea rows={5} aria-label="JSON to import" value={importText} onChange={(e) => setImportText(e.target.value)} placeholder="Paste an exported JSON" />
              <button
                type="button"
                onClick={() =>
                  void act(async () => {
                    await api.post(`/${entity.path}/import`, JSON.parse(importText));
                    setImporting(false);
                    setImportText('');
                  }, 'Imported.')
                }
              >
                Import
              </button>
            </div>
          )}
          {message && <p role="status">{message}</p>}
          <table className="grid" aria-label={`${entity.label} list`}>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c} aria-sort={sort.col === c ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                    <button type="button" className="sort" onClick={() => setSort((s) => ({ col: c, desc: s.col === c ? !s.desc : false }))}>
                      {c}
                    </button>
                  </th>
                ))}
                {entity.key === 'points' && <th>Live value</th>}
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.id} className={row?.id === r.id ? 'selected' : undefined}>
                  {columns.map((c) => (
                    <td key={c}>{typeof r[c] === 'boolean' ? (r[c] ? 'yes' : 'no') : String(r[c] ?? '')}</td>
                  ))}
                  {entity.key === 'points' && (
                    <td className="num">
                      <PointValue pointId={r.id} units={String(r.units ?? '')} format="0.00" />
                    </td>
                  )}
                  <td className="actions">
                    <button type="button" onClick={() => setSelected(r)} aria-label={`${admin ? 'Edit' : 'View'} ${nameOf(entity, r)}`}>
                      {admin ? 'Edit' : 'View'}
                    </button>
                    {admin && entity.clone && (
                      <button type="button" onClick={() => void act(() => api.post(`/${entity.path}/${r.id}/clone`), 'Cloned.')}>
                        Clone
                      </button>
                    )}
                    {entity.export && (
                      <button type="button" onClick={() => void api.get(`/${entity.path}/${r.id}/export`).then((x) => download(`${entity.key}-${r.id}.json`, JSON.stringify(x, null, 2), 'application/json'))}>
                        Export
                      </button>
                    )}
                    {admin && <button
                      type="button"
                      onClick={() => {
                        void ask({ title: `Delete ${entity.label.toLowerCase()}`, message: `Delete ${entity.label.toLowerCase()} ${nameOf(entity, r)}?`, confirm: 'Delete' }).then((ok) => {
                          if (ok) void act(() => api.del(`/${entity.path}/${r.id}`), 'Deleted.');
                        });
                      }}
                    >
                      Delete
                    </button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {selected && (
            <div className="entity-detail">
              <h2>{row ? `${entity.label}: ${nameOf(entity, row)}` : `New ${entity.label.toLowerCase()}`}</h2>
              <EntityForm
                readOnly={!admin}
                key={row ? row.id : 'new'}
                entity={entity}
                row={row}
                metaOf={metaOf}
                basePath={`/${entity.path}`}
                onCancel={() => setSelected(null)}
                onSaved={(id) =>
                  void load().then(() => {
                    setMessage('Saved.');
                    setSelected((s) => (s === 'new' ? null : s));
                    void api.get<Row>(`/${entity.path}/${id}`).then((r) => setSelected((s) => (s && s !== 'new' ? r : s)));
                  })
                }
              />
              {row && entity.relations.map((rel) => <Relation key={rel.name} owner={entity} id={row.id} rel={rel} metaOf={metaOf} />)}
              {row && entity.children.filter((c) => c.entity !== entity.key).map((c) => <Nested key={c.name} owner={entity} id={row.id} child={c} metaOf={metaOf} />)}
              {row && entity.key === 'datasources' && (
                <>
                  {admin && <PointListImport dataSourceId={row.id} onImported={() => setMessage('Point list imported.')} />}
                  <Diagnostics dataSourceId={row.id} />
                </>
              )}
              {/* a read-only user may not ask a device for a read (the server refuses every POST of theirs) */}
              {row && entity.key === 'points' && canOperate() && <ReadNow pointId={row.id} />}
              {row && entity.key === 'sparkplugnodes' && <SparkplugStatus nodeId={row.id} />}
            </div>
          )}
        </div>
      )}
      {confirmDialog}
    </section>
  );
}
