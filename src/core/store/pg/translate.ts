/**
 * SQLite's dialect, as Switchyard's features write it, to PostgreSQL's: applied once per prepared statement (the
 * result is cached by the statement text). Token-level and mechanical; what it does not know stays as written and
 * fails loudly on PostgreSQL (the tests run the features on both). The rules are listed in docs/store.md.
 */

export type ParamRef = { pos: number } | { name: string };

export interface Translated {
  sql: string;
  /** where each $n's value comes from: a positional argument or a named property */
  params: ParamRef[];
  /** INSERT: the table and its column list (lastInsertRowid, INSERT OR REPLACE, explicit ids) */
  insert?: {
    table: string;
    columns: string[];
    orReplace: boolean;
    returning: boolean;
    valueParams: (number | null)[];
    /**
     * A one-row `VALUES (...)` holding every parameter of the statement, split around that tuple (the tuple's
     * parameters as indices into `params`): what lets db.ts send many rows as one multi-row INSERT (runMany).
     */
    rows?: { head: string; tuple: (string | number)[]; tail: string };
  };
  /** CREATE TABLE: the table created (foreign keys to tables created later are deferred by db.ts) */
  createTable?: string;
  ddl: boolean;
  /** a SELECT from SQLite's catalog alone (its answers change only with DDL: db.ts caches them until the next) */
  catalog?: boolean;
}

type Tok = { t: 'ws' | 'str' | 'qid' | 'num' | 'id' | 'param' | 'op'; v: string };

export function tokenize(sql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(sql[i])) i++;
      out.push({ t: 'ws', v: sql.slice(start, i) });
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      out.push({ t: 'ws', v: ' ' });
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out.push({ t: 'ws', v: ' ' });
    } else if (c === "'" || c === '"' || c === '`') {
      i++;
      while (i < n) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else break;
        } else i++;
      }
      i++;
      const v = sql.slice(start, i);
      out.push(c === "'" ? { t: 'str', v } : { t: 'qid', v: c === '`' ? `"${v.slice(1, -1)}"` : v });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9a-zA-Z_.]/.test(sql[i])) {
        if ((sql[i] === 'e' || sql[i] === 'E') && (sql[i + 1] === '-' || sql[i + 1] === '+')) i++;
        i++;
      }
      out.push({ t: 'num', v: sql.slice(start, i) });
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < n && /[A-Za-z0-9_$]/.test(sql[i])) i++;
      out.push({ t: 'id', v: sql.slice(start, i) });
    } else if (c === '?') {
      i++;
      while (i < n && /[0-9]/.test(sql[i])) i++;
      out.push({ t: 'param', v: sql.slice(start, i) });
    } else if ((c === '@' || c === '$' || (c === ':' && sql[i + 1] !== ':')) && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      i++;
      while (i < n && /[A-Za-z0-9_]/.test(sql[i])) i++;
      out.push({ t: 'param', v: sql.slice(start, i) });
    } else {
      const two = sql.slice(i, i + 2);
      if (['<=', '>=', '<>', '!=', '==', '||', '<<', '>>', '::'].includes(two)) i += 2;
      else i++;
      out.push({ t: 'op', v: sql.slice(start, i) });
    }
  }
  return out;
}

const up = (t: Tok | undefined) => (t && t.t === 'id' ? t.v.toUpperCase() : '');

/** The introspection SQLite offers as a table, in PostgreSQL's catalog. */
const SQLITE_MASTER = `(SELECT 'table'::text AS type, c.relname::text AS name, c.relname::text AS tbl_name, ''::text AS sql FROM pg_class c
  WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  UNION ALL SELECT 'index', indexname::text, tablename::text, indexdef FROM pg_indexes WHERE schemaname = current_schema()) AS sqlite_master`;

const COMPARISON = new Set(['=', '==', '<>', '!=', '<', '>', '<=', '>=']);
const COMPARISON_WORDS = new Set(['IS', 'IN', 'LIKE', 'AND', 'OR', 'NOT', 'BETWEEN', 'GLOB', 'EXISTS']);

export function translate(sqlite: string): Translated {
  const toks = tokenize(sqlite.trim().replace(/;\s*$/, ''));
  const params: ParamRef[] = [];
  let positional = 0;
  const first = up(toks.find((t) => t.t === 'id'));
  const ddl = ['CREATE', 'ALTER', 'DROP'].includes(first);
  const res: Translated = { sql: '', params, ddl };
  if (/^\s*SELECT\b[^;(]*\bFROM\s+sqlite_(?:master|schema)\b[^;(]*$/i.test(sqlite) && !/\bJOIN\b|,\s*\w+\s*(?:WHERE|$)/i.test(sqlite.slice(sqlite.search(/\bFROM\b/i)))) res.catalog = true;
  /** an INSERT's one VALUES tuple, first and last token, when it holds every parameter */
  let tupleAt: [number, number] | null = null;

  // significant-token navigation
  const next = (i: number) => {
    let j = i + 1;
    while (j < toks.length && toks[j].t === 'ws') j++;
    return j;
  };
  const prev = (i: number) => {
    let j = i - 1;
    while (j >= 0 && toks[j].t === 'ws') j--;
    return j;
  };
  /** the index of the ')' closing the '(' at i */
  const close = (i: number) => {
    let depth = 0;
    for (let j = i; j < toks.length; j++) {
      if (toks[j].v === '(') depth++;
      else if (toks[j].v === ')' && --depth === 0) return j;
    }
    return toks.length - 1;
  };
  /** top-level comma-separated argument ranges between ( at open and ) at end */
  const args = (open: number, end: number) => {
    const out: [number, number][] = [];
    let depth = 0;
    let s = open + 1;
    for (let j = open + 1; j < end; j++) {
      if (toks[j].v === '(') depth++;
      else if (toks[j].v === ')') depth--;
      else if (toks[j].v === ',' && depth === 0) {
        out.push([s, j]);
        s = j + 1;
      }
    }
    out.push([s, end]);
    return out;
  };

  // statement-level facts
  if (first === 'INSERT' || first === 'REPLACE') {
    let j = next(toks.findIndex((t) => t.t === 'id'));
    let orReplace = first === 'REPLACE';
    let orIgnore = false;
    if (up(toks[j]) === 'OR') {
      const what = up(toks[next(j)]);
      orReplace = what === 'REPLACE';
      orIgnore = what === 'IGNORE';
      toks[j] = { t: 'ws', v: '' };
      toks[next(j)] = { t: 'ws', v: '' };
      j = next(next(j));
    }
    if (first === 'REPLACE') toks[toks.findIndex((t) => t.t === 'id')] = { t: 'id', v: 'INSERT' };
    if (up(toks[j]) === 'INTO') j = next(j);
    const table = toks[j].v.replace(/"/g, '');
    const columns: string[] = [];
    const k = next(j);
    if (toks[k]?.v === '(') {
      const e = close(k);
      for (let m = k + 1; m < e; m++) if (toks[m].t === 'id' || toks[m].t === 'qid') columns.push(toks[m].v.replace(/"/g, '').toLowerCase());
    }
    const returning = toks.some((t) => up(t) === 'RETURNING');
    // a one-row VALUES: which parameter (0-based, in order of appearance) fills each column (partition routing)
    const valueParams: (number | null)[] = [];
    const vi = toks.findIndex((t) => up(t) === 'VALUES');
    const vo = vi >= 0 ? next(vi) : -1;
    if (vo >= 0 && toks[vo]?.v === '(') {
      const ve = close(vo);
      const outside = toks.filter((t, m) => t.t === 'param' && (m < vo || m > ve)).length;
      if (!outside && toks[next(ve)]?.v !== ',') tupleAt = [vo, ve];
      const paramsBefore = toks.slice(0, vo).filter((t) => t.t === 'param').length;
      let p = paramsBefore;
      for (const [a, b] of args(vo, close(vo))) {
        const inner = toks.slice(a, b).filter((t) => t.t !== 'ws');
        valueParams.push(inner.length === 1 && inner[0].t === 'param' ? p : null);
        p += toks.slice(a, b).filter((t) => t.t === 'param').length;
      }
    }
    res.insert = { table: table.toLowerCase(), columns, orReplace, returning, valueParams };
    if (orIgnore) toks.push({ t: 'ws', v: ' ' }, { t: 'id', v: 'ON CONFLICT DO NOTHING' });
  }
  if (first === 'CREATE' && up(toks[next(toks.findIndex((t) => t.t === 'id'))]) === 'TABLE') {
    let j = next(next(toks.findIndex((t) => t.t === 'id')));
    if (up(toks[j]) === 'IF') j = next(next(next(j)));
    res.createTable = toks[j].v.replace(/"/g, '').toLowerCase();
  }

  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.t === 'param') {
      const ref: ParamRef = t.v[0] === '?' ? { pos: t.v.length > 1 ? Number(t.v.slice(1)) - 1 : positional++ } : { name: t.v.slice(1) };
      params.push(ref);
      let v = `$${params.length}`;
      // a parameter PostgreSQL cannot type from its context (only tested for NULL, or a select-list value) is cast
      // by the type of the value bound at run time (db.ts: `::__T<n>`)
      const a = next(i);
      const b = prev(i);
      const nullTest = up(toks[a]) === 'IS' && (up(toks[next(a)]) === 'NULL' || (up(toks[next(a)]) === 'NOT' && up(toks[next(next(a))]) === 'NULL'));
      if (nullTest || ((toks[b]?.v === ',' || up(toks[b]) === 'SELECT') && inSelectList(toks, i))) v += `::__T${params.length}`;
      toks[i] = { t: 'id', v };
      // x IS ? / x IS NOT ? (SQLite's null-safe equality)
      if (up(toks[b]) === 'IS') toks[b] = { t: 'id', v: 'IS NOT DISTINCT FROM' };
      else if (up(toks[b]) === 'NOT' && up(toks[prev(b)]) === 'IS') {
        toks[prev(b)] = { t: 'ws', v: '' };
        toks[b] = { t: 'id', v: 'IS DISTINCT FROM' };
      }
      continue;
    }
    if (t.t === 'op' && t.v === '==') {
      toks[i] = { t: 'op', v: '=' };
      continue;
    }
    if (t.t !== 'id') continue;
    const U = t.v.toUpperCase();
    const isCall = toks[next(i)]?.v === '(';
    if (U === 'SQLITE_MASTER' || U === 'SQLITE_SCHEMA') {
      toks[i] = { t: 'id', v: SQLITE_MASTER };
      // `sqlite_master` already carries its alias
      const a = next(i);
      if (up(toks[a]) === 'AS') toks[a] = toks[next(a)] = { t: 'ws', v: '' };
    } else if (U === 'TEMP' && toks[i + 1]?.v === '.') toks[i] = { t: 'id', v: 'pg_temp' };
    else if (U === 'IFNULL' && isCall) toks[i] = { t: 'id', v: 'COALESCE' };
    else if (U === 'INSTR' && isCall) toks[i] = { t: 'id', v: 'STRPOS' };
    else if ((U === 'MAX' || U === 'MIN') && isCall) {
      const o = next(i);
      if (args(o, close(o)).length > 1) toks[i] = { t: 'id', v: U === 'MAX' ? 'GREATEST' : 'LEAST' };
    } else if (U === 'TOTAL' && isCall) {
      const o = next(i);
      const e = close(o);
      toks[i] = { t: 'id', v: 'COALESCE(SUM' };
      toks[e] = { t: 'op', v: ')::float8, 0)' };
    } else if (U === 'SUM' && isCall) {
      const o = next(i);
      const e = close(o);
      let depth = 0;
      let boolean = false;
      for (let j = o + 1; j < e; j++) {
        if (toks[j].v === '(') depth++;
        else if (toks[j].v === ')') depth--;
        else if (depth === 0 && ((toks[j].t === 'op' && COMPARISON.has(toks[j].v)) || COMPARISON_WORDS.has(up(toks[j])))) boolean = true;
        else if (depth === 0 && up(toks[j]) === 'CASE') break;
      }
      if (boolean) {
        toks[o] = { t: 'op', v: '(CASE WHEN (' };
        toks[e] = { t: 'op', v: ') THEN 1 ELSE 0 END)' };
      }
    } else if (U === 'GROUP_CONCAT' && isCall) {
      const o = next(i);
      const e = close(o);
      const a = args(o, e);
      toks[i] = { t: 'id', v: 'STRING_AGG' };
      toks[o] = { t: 'op', v: '((' };
      if (a.length === 1) toks[e] = { t: 'op', v: ")::text, ',')" };
      else toks[a[0][1]] = { t: 'op', v: ')::text,' };
    } else if (U === 'ROUND' && isCall) {
      const o = next(i);
      const e = close(o);
      const a = args(o, e);
      if (a.length === 2) {
        toks[o] = { t: 'op', v: '((' };
        toks[a[0][1]] = { t: 'op', v: ')::numeric,' };
        toks[e] = { t: 'op', v: ')::float8)' };
        toks[i] = { t: 'id', v: '(ROUND' };
      }
    } else if (U === 'LIKE' && up(toks[prev(i)]) !== 'I') toks[i] = { t: 'id', v: 'ILIKE' };
    else if (U === 'CROSS' && up(toks[next(i)]) === 'JOIN') {
      // SQLite accepts CROSS JOIN ... ON (and uses it to fix the join order); PostgreSQL wants INNER JOIN
      let j = next(next(i));
      for (let k = 0; k < 3 && j < toks.length; k++, j = next(j)) {
        if (up(toks[j]) === 'ON') {
          toks[i] = { t: 'id', v: 'INNER' };
          break;
        }
      }
    } else if (U === 'AS' && toks[next(i)]?.t === 'id' && /[A-Z]/.test(toks[next(i)].v) && !ddl) {
      const a = next(i);
      const target = up(toks[a]);
      if (!['INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC', 'BIGINT', 'VARCHAR'].includes(target)) toks[a] = { t: 'qid', v: `"${toks[a].v}"` };
    } else if (U === 'LIMIT' && toks[next(i)]?.v === '-' && toks[next(next(i))]?.v === '1') {
      toks[next(i)] = { t: 'id', v: 'ALL' };
      toks[next(next(i))] = { t: 'ws', v: '' };
    } else if (U === 'BEGIN' && ['IMMEDIATE', 'DEFERRED', 'EXCLUSIVE'].includes(up(toks[next(i)]))) toks[next(i)] = { t: 'ws', v: '' };
    else if (U === 'INTEGER' && ddl && up(toks[next(i)]) === 'PRIMARY' && up(toks[next(next(i))]) === 'KEY') {
      const k = next(next(i));
      toks[i] = { t: 'id', v: 'BIGINT GENERATED BY DEFAULT AS IDENTITY' };
      if (up(toks[next(k)]) === 'AUTOINCREMENT') toks[next(k)] = { t: 'ws', v: '' };
    } else if (U === 'AUTOINCREMENT') toks[i] = { t: 'ws', v: '' };
    else if (U === 'INTEGER' && (ddl || up(toks[prev(i)]) === 'AS')) toks[i] = { t: 'id', v: 'BIGINT' };
    else if (U === 'REAL' && (ddl || up(toks[prev(i)]) === 'AS')) toks[i] = { t: 'id', v: 'DOUBLE PRECISION' };
    else if (U === 'BLOB' && (ddl || up(toks[prev(i)]) === 'AS')) toks[i] = { t: 'id', v: 'BYTEA' };
    else if (U === 'WITHOUT' && up(toks[next(i)]) === 'ROWID') {
      toks[next(i)] = { t: 'ws', v: '' };
      toks[i] = { t: 'ws', v: '' };
    } else if (U === 'STRICT' && ddl && toks[prev(i)]?.v === ')') toks[i] = { t: 'ws', v: '' };
  }
  if (res.insert) qualifyUpsert(toks, res.insert.table, res.insert.columns);
  res.sql = toks.map((t) => t.v).join('');
  if (res.insert && tupleAt) {
    const [a, b] = tupleAt;
    const tuple = toks.slice(a, b + 1).map((t) => (/^\$\d+$/.test(t.v) ? Number(t.v.slice(1)) - 1 : t.v));
    if (!tuple.some((x) => typeof x === 'string' && x.includes('::__T'))) {
      res.insert.rows = { head: toks.slice(0, a).map((t) => t.v).join(''), tuple, tail: toks.slice(b + 1).map((t) => t.v).join('') };
    }
  }
  return res;
}

/**
 * In `ON CONFLICT ... DO UPDATE SET a = b + 1 WHERE c ...`, SQLite reads a bare column as the existing row's;
 * PostgreSQL calls it ambiguous. Bare references to the inserted columns (not the assigned ones) get the table's name.
 */
function qualifyUpsert(toks: Tok[], table: string, columns: string[]): void {
  const sig = toks.map((t, i) => [t, i] as const).filter(([t]) => t.t !== 'ws');
  const at = sig.findIndex(([t], k) => up(t) === 'DO' && up(sig[k + 1]?.[0]) === 'UPDATE' && up(sig[k + 2]?.[0]) === 'SET');
  if (at < 0) return;
  const cols = new Set(columns);
  let depth = 0;
  let lhs = true;
  let inWhere = false;
  for (let k = at + 3; k < sig.length; k++) {
    const [t, i] = sig[k];
    if (t.v === '(') depth++;
    else if (t.v === ')') depth--;
    else if (depth === 0 && t.v === ',' && !inWhere) lhs = true;
    else if (depth === 0 && up(t) === 'WHERE') inWhere = true;
    else if (up(t) === 'RETURNING') break;
    else if (t.t === 'id' && cols.has(t.v.toLowerCase())) {
      if (lhs && !inWhere && depth === 0) {
        lhs = false;
        continue;
      }
      if (sig[k - 1]?.[0].v === '.' || sig[k + 1]?.[0].v === '.') continue;
      toks[i] = { t: 'id', v: `${table}.${t.v}` };
    }
  }
}

/** Is token i inside a SELECT list (between SELECT and FROM at the same depth)? */
function inSelectList(toks: Tok[], i: number): boolean {
  let depth = 0;
  for (let j = i - 1; j >= 0; j--) {
    const v = toks[j].v;
    if (v === ')') depth++;
    else if (v === '(') {
      if (depth === 0) return false;
      depth--;
    } else if (depth === 0 && toks[j].t === 'id') {
      const U = v.toUpperCase();
      if (U === 'SELECT') return true;
      if (['FROM', 'WHERE', 'SET', 'VALUES', 'ON', 'BY', 'THEN', 'WHEN', 'ELSE'].includes(U)) return false;
    }
  }
  return false;
}
