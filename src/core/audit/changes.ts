import type { EntityDef } from '../model/types';

type Row = Record<string, unknown>;

/** The most characters one audited value keeps (old or new); the log records what changed, not whole bodies. */
export const MAX_AUDIT_VALUE_CHARS = 4096;
/** A single text field longer than this is shortened inside the audited value. */
const MAX_FIELD_CHARS = 512;

const shorten = (v: unknown): unknown => (typeof v === 'string' && v.length > MAX_FIELD_CHARS ? `${v.slice(0, MAX_FIELD_CHARS)}… (${v.length} characters)` : v);

/** A value as the audit log stores it: JSON of at most MAX_AUDIT_VALUE_CHARS characters (never throws). */
export function boundedAuditValue(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  let s: string;
  try {
    s = typeof v === 'string' ? v : JSON.stringify(v, (_k, x: unknown) => shorten(x));
  } catch {
    return '(unserializable)';
  }
  if (s === undefined) return null;
  return s.length > MAX_AUDIT_VALUE_CHARS ? `${s.slice(0, MAX_AUDIT_VALUE_CHARS)}… (${s.length} characters)` : s;
}

/**
 * What a write changed, as {old, new} holding only the columns that differ (a create: the new row; a
 * delete: the old one). Write-only fields (passwords) are shown as "(changed)", never their value.
 */
export function rowChange(def: EntityDef, before: Row | null, after: Row | null): { old: Row | null; new: Row | null } {
  const hidden = new Set(def.fields.filter((f) => f.writeOnly).map((f) => f.name));
  const pick = (row: Row, keys: string[]) => Object.fromEntries(keys.map((k) => [k, hidden.has(k) ? '(changed)' : shorten(row[k])]));
  if (before && after) {
    const keys = Object.keys(after).filter((k) => k !== 'id' && !sameValue(before[k], after[k]));
    return { old: pick(before, keys), new: pick(after, keys) };
  }
  if (after) return { old: null, new: pick(after, Object.keys(after).filter((k) => k !== 'id' && after[k] !== null)) };
  if (before) return { old: pick(before, Object.keys(before).filter((k) => k !== 'id' && before[k] !== null)), new: null };
  return { old: null, new: null };
}

const sameValue = (a: unknown, b: unknown) => a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));
