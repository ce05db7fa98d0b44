/**
 * Many rows of one prepared INSERT as a few multi-row INSERTs (db.ts `runMany`): the statement's one VALUES tuple
 * (translate.ts `insert.rows`) repeated with its parameters renumbered, in chunks within PostgreSQL's 65,535
 * parameters per statement. Kept equivalent to running the rows one by one, in order:
 * - an upsert (`DO UPDATE`, `INSERT OR REPLACE`) may not touch one key twice in a statement (PostgreSQL refuses,
 *   and a later row must see the earlier one's effect), so a chunk ends before a row whose conflict key it holds;
 * - each row's `changes` comes from `RETURNING` the primary key: a row whose key came back was inserted or updated,
 *   one skipped by `DO NOTHING` (or an upsert's `WHERE`) was not.
 */
import type { Translated } from './translate';

/** PostgreSQL's limit is 65,535 parameters per statement; the rows per statement stay below both */
const MAX_PARAMS = 60_000;
const MAX_ROWS = 5_000;

export interface Chunk {
  sql: string;
  params: unknown[];
  /** the indices (into the rows given) of the rows of this statement */
  rows: number[];
}

export interface RowsPlan {
  chunks: Chunk[];
  /** the parameter index of each primary-key column (RETURNING them tells which rows changed); null: all did */
  keyParams: number[] | null;
}

const NO_CONFLICT = /^\s*$/;

/**
 * The multi-row statements for `values` (each row's bound parameters), or null when the statement cannot be sent
 * that way (then the rows go one statement each, still in one round trip). `pk`: the table's primary key columns;
 * `replace`: the `ON CONFLICT` clause of an INSERT OR REPLACE (db.ts), appended after the tuples.
 */
export function planRows(tr: Translated, values: unknown[][], pk: string[], replace: string): RowsPlan | null {
  const ins = tr.insert;
  if (!ins?.rows || ins.returning) return null;
  const { head, tuple, tail } = ins.rows;
  const paramOf = (col: string) => {
    const i = ins.columns.indexOf(col);
    return i < 0 ? null : (ins.valueParams[i] ?? null);
  };
  const plain = NO_CONFLICT.test(tail) && !ins.orReplace;
  let keyParams: number[] | null = null;
  if (!plain) {
    const k = pk.map(paramOf);
    if (!pk.length || k.some((x) => x === null)) return null;
    keyParams = k as number[];
  }
  // an upsert: the columns of its conflict target, whose values may appear once per statement
  let conflict: number[] | null = null;
  if (ins.orReplace) conflict = keyParams;
  else if (/\bDO\s+UPDATE\b/i.test(tail)) {
    const m = /ON\s+CONFLICT\s*\(([^)]*)\)/i.exec(tail);
    const c = m ? m[1].split(',').map((x) => paramOf(x.trim().replace(/"/g, '').toLowerCase())) : [null];
    if (c.some((x) => x === null)) return null;
    conflict = c as number[];
  }
  const end = `${tail}${replace}${keyParams ? ` RETURNING ${pk.join(', ')}` : ''}`;
  const per = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / Math.max(1, tr.params.length))));
  const chunks: Chunk[] = [];
  let cur: Chunk | null = null;
  let keys = new Set<string>();
  let text: string[] = [];
  const finish = () => {
    if (cur) {
      cur.sql = head + text.join(', ') + end;
      chunks.push(cur);
    }
  };
  for (let r = 0; r < values.length; r++) {
    const key = conflict ? keyOf(values[r], conflict) : '';
    if (!cur || cur.rows.length >= per || (conflict && keys.has(key))) {
      finish();
      cur = { sql: '', params: [], rows: [] };
      keys = new Set();
      text = [];
    }
    if (conflict) keys.add(key);
    const base = cur.params.length;
    let t = '';
    for (const x of tuple) t += typeof x === 'number' ? `$${base + x + 1}` : x;
    text.push(t);
    for (const v of values[r]) cur.params.push(v);
    cur.rows.push(r);
  }
  finish();
  return { chunks, keyParams };
}

/** each row's changes (0 or 1) from what the chunks' RETURNING answered */
export function changesOf(plan: RowsPlan, values: unknown[][], returned: unknown[][][]): number[] {
  const out = new Array<number>(values.length).fill(0);
  plan.chunks.forEach((c, i) => {
    if (!plan.keyParams) {
      for (const r of c.rows) out[r] = 1;
      return;
    }
    const came = new Map<string, number>();
    for (const row of returned[i]) {
      const k = keyOf(row, row.map((_, j) => j));
      came.set(k, (came.get(k) ?? 0) + 1);
    }
    // a key sent twice under DO NOTHING: the first row was inserted, the second skipped
    for (const r of c.rows) {
      const k = keyOf(values[r], plan.keyParams);
      const n = came.get(k) ?? 0;
      if (n > 0) {
        out[r] = 1;
        came.set(k, n - 1);
      }
    }
  });
  return out;
}

function keyOf(row: unknown[], at: number[]): string {
  let k = '';
  for (const i of at) {
    const v = row[i];
    k += `${v === null || v === undefined ? '\0' : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v)}\u0001`;
  }
  return k;
}
