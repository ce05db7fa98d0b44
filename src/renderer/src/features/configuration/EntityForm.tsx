/** A form generated from an entity's field metadata; the API's validation message shows at its field. */
import { useEffect, useState } from 'react';
import { api, ApiError } from '../../app/api';
import { pointLabel, remoteSites, type NamedPoint } from '../../ui/sites';
import { type EntityMeta, type FieldMeta, FormError, type FormValues, toBody, toFormValues } from './meta';

function RefSelect({ field, value, onChange, metaOf }: { field: FieldMeta; value: string; onChange: (v: string) => void; metaOf: (key: string) => EntityMeta | undefined }) {
  const [options, setOptions] = useState<{ id: number; name: string }[]>([]);
  useEffect(() => {
    const target = metaOf(field.ref!);
    if (!target?.path) return;
    // binding a point: a remote site's point reads `site / device / metric` (ui/sites.ts)
    const sites = field.ref === 'points' ? remoteSites() : Promise.resolve(new Map<number, string>());
    void Promise.all([api.get<Record<string, unknown>[]>(`/${target.path}`), sites]).then(([rows, remote]) =>
      setOptions(
        rows.map((r) => {
          const name = String(r[target.nameField ?? 'name'] ?? `#${String(r.id)}`);
          return { id: Number(r.id), name: remote.size ? pointLabel({ ...(r as Omit<NamedPoint, 'name'>), name }, remote) : name };
        }),
      ),
    );
  }, [field.ref, metaOf]);
  return (
    <select id={`f-${field.name}`} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={undefined}>
      <option value="">{field.required ? '— choose —' : '— none —'}</option>
      {options.map((o) => (
        <option key={o.id} value={o.id}>
          {o.name}
        </option>
      ))}
    </select>
  );
}

export function EntityForm({
  entity,
  row,
  fixed,
  metaOf,
  onSaved,
  onCancel,
  basePath,
  readOnly,
}: {
  entity: EntityMeta;
  row: Record<string, unknown> | null;
  /** fields set by the context (a nested child's parent id) */
  fixed?: Record<string, number>;
  metaOf: (key: string) => EntityMeta | undefined;
  onSaved: (id: number) => void;
  onCancel: () => void;
  basePath: string;
  /** shown, not editable (a user who may not change the configuration): no Save, fields disabled */
  readOnly?: boolean;
}) {
  const [values, setValues] = useState<FormValues>(() => toFormValues(entity, row));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: string, v: string | boolean) => setValues((s) => ({ ...s, [name]: v }));

  const save = async () => {
    setErrors({});
    setGeneral(null);
    let body: Record<string, unknown>;
    try {
      body = { ...toBody(entity, values), ...(fixed ?? {}) };
    } catch (e) {
      if (e instanceof FormError) setErrors({ [e.field]: e.message });
      return;
    }
    setBusy(true);
    try {
      if (row) {
        await api.put(`${basePath}/${String(row.id)}`, body);
        onSaved(Number(row.id));
      } else {
        const created = await api.post<{ id: number }>(basePath, body);
        onSaved(created.id);
      }
    } catch (e) {
      if (e instanceof ApiError && e.field && entity.fields.some((f) => f.name === e.field)) setErrors({ [e.field]: e.message });
      else setGeneral(e instanceof ApiError ? `${e.message} (${e.description})` : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="entity-form"
      aria-label={`${readOnly ? 'View' : row ? 'Edit' : 'New'} ${entity.label}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (!readOnly) void save();
      }}
    >
      <fieldset disabled={readOnly} className="entity-fields">
      {entity.fields
        .filter((f) => !(readOnly && f.writeOnly))
        .filter((f) => !f.readOnly && !(fixed && f.name in fixed))
        .map((f) => {
          const id = `f-${f.name}`;
          const error = errors[f.name];
          const v = values[f.name];
          let input;
          if (f.type === 'boolean') input = <input id={id} type="checkbox" checked={Boolean(v)} onChange={(e) => set(f.name, e.target.checked)} />;
          else if (f.type === 'enum')
            input = (
              <select id={id} value={String(v ?? '')} onChange={(e) => set(f.name, e.target.value)}>
                <option value="">—</option>
                {f.values!.map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </select>
            );
          else if (f.type === 'ref') input = <RefSelect field={f} value={String(v ?? '')} onChange={(x) => set(f.name, x)} metaOf={metaOf} />;
          else if (f.type === 'json' || f.type === 'text') input = <textarea id={id} rows={f.type === 'json' ? 4 : 3} value={String(v ?? '')} onChange={(e) => set(f.name, e.target.value)} spellCheck={false} />;
          else
            input = (
              <input
                id={id}
                type={f.writeOnly ? 'password' : f.type === 'integer' || f.type === 'number' ? 'number' : f.type === 'date' ? 'date' : 'text'}
                step={f.type === 'number' ? 'any' : undefined}
                placeholder={f.type === 'datetime' ? 'YYYY-MM-DDTHH:MM:SS' : f.type === 'time' ? 'HH:MM:SS' : undefined}
                value={String(v ?? '')}
                onChange={(e) => set(f.name, e.target.value)}
              />
            );
          return (
            <div key={f.name} className={`form-row${error ? ' has-error' : ''}`}>
              <label htmlFor={id}>
                {f.label}
                {f.required ? ' *' : ''}
              </label>
              {input}
              {f.help && <small className="help">{f.help}</small>}
              {error && (
                <span className="field-error" role="alert" data-field={f.name}>
                  ✕ {error}
                </span>
              )}
            </div>
          );
        })}
      </fieldset>
      {general && (
        <p className="error" role="alert">
          {general}
        </p>
      )}
      <div className="button-row">
        {!readOnly && (
          <button type="submit" className="primary" disabled={busy}>
            {row ? 'Save' : 'Create'}
          </button>
        )}
        <button type="button" onClick={onCancel}>
          {readOnly ? 'Close' : 'Cancel'}
        </button>
      </div>
    </form>
  );
}
