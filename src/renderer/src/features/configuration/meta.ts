/** The entity metadata served at /api/meta/entities, and how a form turns field values into a request body. */
export interface FieldMeta {
  name: string;
  type: 'string' | 'text' | 'integer' | 'number' | 'boolean' | 'json' | 'datetime' | 'time' | 'date' | 'enum' | 'ref';
  label: string;
  required: boolean;
  nullable: boolean;
  values?: string[];
  ref?: string;
  embed?: string;
  readOnly?: boolean;
  writeOnly?: boolean;
  min?: number;
  max?: number;
  maxLength?: number;
  default?: unknown;
  help?: string;
}

export interface EntityMeta {
  key: string;
  path: string | null;
  label: string;
  group: string;
  nameField: string | null;
  nestedUnder: { entity: string; field: string; name: string } | null;
  fields: FieldMeta[];
  relations: { name: string; target: string; field: string; label: string }[];
  children: { name: string; entity: string; field: string }[];
  export: boolean;
  import: boolean;
  clone: boolean;
  /** only administrators may read it (users, API keys) */
  readAdminOnly?: boolean;
}

export type FormValues = Record<string, string | boolean>;

/** A row as the API answered it -> the strings and booleans a form edits. */
export function toFormValues(entity: EntityMeta, row: Record<string, unknown> | null): FormValues {
  const out: FormValues = {};
  for (const f of entity.fields) {
    if (f.readOnly || f.writeOnly) continue;
    const v = row ? row[f.name] : f.default;
    if (f.type === 'boolean') out[f.name] = Boolean(v);
    else if (v === null || v === undefined) out[f.name] = '';
    else if (f.type === 'json') out[f.name] = typeof v === 'string' ? v : JSON.stringify(v, null, 2);
    else out[f.name] = String(v);
  }
  return out;
}

export class FormError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The form's values -> the {"data":...} body; throws FormError for what the browser can already tell. */
export function toBody(entity: EntityMeta, values: FormValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of entity.fields) {
    if (f.readOnly || !(f.name in values)) continue;
    const raw = values[f.name];
    if (f.type === 'boolean') {
      body[f.name] = Boolean(raw);
      continue;
    }
    const text = String(raw).trim();
    if (text === '') {
      if (f.required && !f.writeOnly) throw new FormError(f.name, `${f.label} is required`);
      if (!f.writeOnly) body[f.name] = null;
      continue;
    }
    switch (f.type) {
      case 'integer':
      case 'number':
      case 'ref': {
        const n = Number(text);
        if (!Number.isFinite(n) || ((f.type === 'integer' || f.type === 'ref') && !Number.isInteger(n))) throw new FormError(f.name, `${f.label} must be ${f.type === 'number' ? 'a number' : 'a whole number'}`);
        body[f.name] = n;
        break;
      }
      case 'json':
        try {
          body[f.name] = JSON.parse(text);
        } catch {
          throw new FormError(f.name, `${f.label} is not valid JSON`);
        }
        break;
      default:
        body[f.name] = text;
    }
  }
  return body;
}
