import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { batch } from '../store/batch';
import type { Db, Store } from '../store/store';
import { ApiError, badRequest, code, notFound } from '../api/errors';
import type { EntityDef, FieldDef, RelationDef, RemovedBinding, RequestContext } from './types';
import { maskSecrets, restoreSecrets } from '../audit/redact';

type Row = Record<string, unknown>;

/** Prepared statements by SQL text, per connection: an import validates and inserts thousands of rows. */
type Statement = Database.Statement<unknown[]>;
const statements = new WeakMap<Db, Map<string, Statement>>();
function prep(db: Db, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) {
    if (cache.size >= 1000) cache.clear();
    stmt = db.prepare<unknown[]>(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}
export type ChangeListener = (entity: string, op: 'create' | 'update' | 'delete', id: number) => void;
export interface Change {
  entity: string;
  op: 'create' | 'update' | 'delete';
  id: number;
}
/** Told once per committed transaction with everything it changed (an import of 100,000 points: one call). */
export type ChangeBatchListener = (changes: readonly Change[]) => void;

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const singularCode = (def: EntityDef) => code(def.label);
export const linkTable = (owner: EntityDef, rel: RelationDef) => `rel_${owner.table}_${rel.name}`;

/**
 * The entity registry: one declaration per entity drives its table, validation, serialisation, relations
 * and export/import/clone. Routes (model/routes.ts) and the configuration screens (via /api/meta/entities)
 * are generated from the same declarations.
 */
export class Registry {
  readonly defs = new Map<string, EntityDef>();
  private listeners: ChangeListener[] = [];
  private batchListeners: ChangeBatchListener[] = [];

  register(...defs: EntityDef[]): this {
    for (const def of defs) {
      if (this.defs.has(def.key)) throw new Error(`entity ${def.key} declared twice`);
      this.defs.set(def.key, def);
    }
    return this;
  }

  get(key: string): EntityDef {
    const def = this.defs.get(key);
    if (!def) throw new Error(`unknown entity ${key}`);
    return def;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Per-transaction form of onChange: for listeners whose work (re-planning) should happen once per write. */
  onChanges(listener: ChangeBatchListener): () => void {
    this.batchListeners.push(listener);
    return () => {
      this.batchListeners = this.batchListeners.filter((l) => l !== listener);
    };
  }

  emit(entity: string, op: 'create' | 'update' | 'delete', id: number): void {
    this.emitAll([{ entity, op, id }]);
  }

  /** Tells listeners what one committed transaction changed: per-change listeners each change, batch listeners once. */
  emitAll(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    for (const l of this.listeners) {
      for (const c of changes) {
        try {
          l(c.entity, c.op, c.id);
        } catch {
          /* a listener's failure never fails the write that already committed */
        }
      }
    }
    for (const l of this.batchListeners) {
      try {
        l(changes);
      } catch {
        /* as above */
      }
    }
  }

  /**
   * emitAll for a large batch (a point-list import): per-change listeners are told in slices with the event loop
   * free between them, batch listeners once at the end; resolves when every listener was told.
   */
  async emitAllSliced(changes: readonly Change[], sliceMs = 8): Promise<void> {
    if (changes.length === 0) return;
    let start = performance.now();
    for (const c of changes) {
      for (const l of this.listeners) {
        try {
          l(c.entity, c.op, c.id);
        } catch {
          /* a listener's failure never fails the write that already committed */
        }
      }
      if (performance.now() - start >= sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        start = performance.now();
      }
    }
    for (const l of this.batchListeners) {
      try {
        l(changes);
      } catch {
        /* as above */
      }
    }
  }

  /** Creates missing tables and adds missing columns (additive changes); versioned migrations do the rest. */
  syncTables(db: Db): void {
    for (const def of this.defs.values()) {
      const cols = this.columns(def);
      const existing = db.prepare(`PRAGMA table_info(${def.table})`).all() as { name: string }[];
      if (existing.length === 0) {
        db.exec(`CREATE TABLE ${def.table} (id INTEGER PRIMARY KEY AUTOINCREMENT${cols.map((c) => `, ${c.ddl}`).join('')})`);
        for (const f of def.fields) {
          if (f.type === 'ref') db.exec(`CREATE INDEX IF NOT EXISTS ix_${def.table}_${f.name} ON ${def.table}(${f.name})`);
        }
      } else {
        const have = new Set(existing.map((c) => c.name));
        for (const c of cols) if (!have.has(c.name)) db.exec(`ALTER TABLE ${def.table} ADD COLUMN ${c.ddl.replace(' UNIQUE', '')}`);
      }
      // the uniqueness checks of validate() look these up on every write (an import: once per row)
      for (const f of def.fields) {
        if (!(f.unique || f.uniqueWith || (f.name === (def.nameField ?? 'name') && def.nameUnique !== false))) continue;
        db.exec(`CREATE INDEX IF NOT EXISTS ix_${def.table}_${f.name}_lookup ON ${def.table}(${f.name}${f.uniqueWith ? `, ${f.uniqueWith}` : ''})`);
      }
      for (const rel of def.relations ?? []) {
        const target = this.get(rel.target);
        const extra = (rel.extra ?? []).map((f) => `, ${f.name} ${sqlType(f)}`).join('');
        db.exec(`CREATE TABLE IF NOT EXISTS ${linkTable(def, rel)} (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          owner_id INTEGER NOT NULL REFERENCES ${def.table}(id) ON DELETE CASCADE,
          target_id INTEGER NOT NULL REFERENCES ${target.table}(id) ON DELETE CASCADE${extra},
          UNIQUE(owner_id, target_id))`);
        db.exec(`CREATE INDEX IF NOT EXISTS ix_${linkTable(def, rel)}_target ON ${linkTable(def, rel)}(target_id)`);
      }
    }
  }

  private columns(def: EntityDef): { name: string; ddl: string }[] {
    const cols: { name: string; ddl: string }[] = [];
    if (def.uuid !== false) cols.push({ name: 'uuid', ddl: 'uuid TEXT UNIQUE' });
    for (const f of def.fields) {
      let ddl = `${f.name} ${sqlType(f)}`;
      if (f.type === 'ref') {
        const target = this.get(f.ref!);
        const action = f.onDelete === 'cascade' ? 'CASCADE' : f.onDelete === 'setNull' ? 'SET NULL' : 'NO ACTION';
        ddl += ` REFERENCES ${target.table}(id) ON DELETE ${action}`;
      }
      cols.push({ name: f.name, ddl });
    }
    return cols;
  }

  // ---------------------------------------------------------------- reads

  row(store: Store, def: EntityDef, id: number): Row | undefined {
    return prep(store.db, `SELECT * FROM ${def.table} WHERE id = ?`).get(id) as Row | undefined;
  }

  mustRow(store: Store, def: EntityDef, id: number): Row {
    const row = Number.isSafeInteger(id) && id > 0 ? this.row(store, def, id) : undefined;
    if (!row) throw notFound(`API.${singularCode(def)}_NOT_FOUND`, `${def.label} ${id} does not exist`);
    return row;
  }

  list(store: Store, def: EntityDef, where?: { field: string; value: unknown }): Row[] {
    const rows = where
      ? (prep(store.db, `SELECT * FROM ${def.table} WHERE ${where.field} = ? ORDER BY id`).all(where.value) as Row[])
      : (prep(store.db, `SELECT * FROM ${def.table} ORDER BY id`).all() as Row[]);
    const memo = new Map<string, Row | null>();
    return rows.map((r) => this.serialize(store, def, r, memo));
  }

  getOne(store: Store, def: EntityDef, id: number): Row {
    return this.serialize(store, def, this.mustRow(store, def, id), new Map());
  }

  /** Stored row -> API object: booleans as booleans, refs also as nested {id,name,uuid} objects. */
  serialize(store: Store, def: EntityDef, row: Row, memo: Map<string, Row | null>): Row {
    const out: Row = { id: row.id };
    if (def.nameField !== null && !def.fields.some((f) => f.name === (def.nameField ?? 'name'))) out.name = row.name;
    for (const f of def.fields) {
      if (f.writeOnly) continue;
      const v = row[f.name];
      if (f.type === 'boolean') out[f.name] = v === null || v === undefined ? null : v === 1 || v === true;
      else if (f.type === 'json' && f.parsed && typeof v === 'string') out[f.name] = hasSecrets(f) ? maskSecrets(JSON.parse(v)) : JSON.parse(v);
      else if (hasSecrets(f) && typeof v === 'string') out[f.name] = maskJson(v);
      else out[f.name] = v ?? null;
      if (f.type === 'ref' && f.embed) {
        out[f.embed] = v === null || v === undefined ? null : this.brief(store, this.get(f.ref!), v as number, memo);
      }
    }
    if (def.uuid !== false) out.uuid = row.uuid;
    if (def.qrcode) out.qrcode = `${def.qrcode}:${String(row.uuid)}`;
    if (def.computed) Object.assign(out, def.computed(row, store));
    return out;
  }

  /** {id, name, uuid} of a row, as MyEMS nests referenced objects. */
  brief(store: Store, def: EntityDef, id: number, memo = new Map<string, Row | null>()): Row | null {
    const key = `${def.key}:${id}`;
    if (memo.has(key)) return memo.get(key)!;
    const row = this.row(store, def, id);
    const nameField = def.nameField === null ? null : (def.nameField ?? 'name');
    const b = row ? { id: row.id, ...(nameField ? { name: row[nameField] } : {}), ...(def.uuid !== false ? { uuid: row.uuid } : {}) } : null;
    if (b) for (const f of def.briefFields ?? []) (b as Row)[f] = row![f] ?? null;
    memo.set(key, b);
    return b;
  }

  // ---------------------------------------------------------------- validation

  /**
   * Validates client input against the declaration. mode 'create' needs every required field; 'update'
   * merges onto the existing row. Returns the column values to write. Throws a 400/404 naming the field.
   */
  validate(store: Store, def: EntityDef, input: unknown, existing: Row | null, fixed: Row = {}): Row {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{...}} with an object in "data"', 'data');
    }
    const data = { ...(input as Row), ...fixed };
    const out: Row = {};
    for (const f of def.fields) {
      if (f.readOnly) {
        if (!existing && f.default !== undefined) out[f.name] = f.type === 'boolean' ? (f.default ? 1 : 0) : f.default;
        continue;
      }
      const given = Object.prototype.hasOwnProperty.call(data, f.name);
      if (!given) {
        if (existing) continue;
        if (f.default !== undefined) {
          out[f.name] = typeof f.default === 'function' ? (f.default as () => unknown)() : f.default;
          if (f.type === 'boolean') out[f.name] = out[f.name] ? 1 : 0;
          continue;
        }
        if (f.required) throw this.invalid(def, f, `${f.name} is required`);
        out[f.name] = null;
        continue;
      }
      out[f.name] = this.coerce(store, def, f, hasSecrets(f) ? keepSecrets(data[f.name], existing?.[f.name]) : data[f.name]);
    }
    const merged: Row = { ...(existing ?? {}), ...out };
    for (const f of def.fields) {
      if (f.required && !f.readOnly && (merged[f.name] === null || merged[f.name] === undefined)) {
        throw this.invalid(def, f, `${f.name} is required`);
      }
      if (f.requiredWhen && (merged[f.name] === null || merged[f.name] === undefined || merged[f.name] === '') && f.requiredWhen.test(merged)) {
        throw this.invalid(def, f, `${f.name} is required ${f.requiredWhen.because}`);
      }
    }
    // checks may depend on other fields (a connection on its protocol), so they see the merged row
    for (const f of def.fields) {
      if (!f.check || merged[f.name] === null || merged[f.name] === undefined) continue;
      const msg = f.check(merged[f.name], merged, store);
      if (msg) throw this.invalid(def, f, msg);
    }
    for (const f of def.fields) {
      if (!(f.unique || f.uniqueWith || (f.name === (def.nameField ?? 'name') && def.nameUnique !== false))) continue;
      const v = merged[f.name];
      if (v === null || v === undefined) continue;
      const scope = f.uniqueWith ? ` AND ${f.uniqueWith} IS ?` : '';
      const args: unknown[] = [v];
      if (f.uniqueWith) args.push(merged[f.uniqueWith] ?? null);
      args.push(existing ? existing.id : -1);
      const clash = prep(store.db, `SELECT id FROM ${def.table} WHERE ${f.name} = ?${scope} AND id != ? LIMIT 1`).get(...args);
      if (clash) {
        throw badRequest(`API.${singularCode(def)}_${code(f.name)}_IS_ALREADY_IN_USE`, `${f.name} "${String(v)}" is already in use by another ${def.label.toLowerCase()}`, f.name);
      }
    }
    return out;
  }

  private invalid(def: EntityDef, f: FieldDef, message: string) {
    const what = f.name === 'name' ? `${singularCode(def)}_NAME` : code(f.name);
    return badRequest(`API.INVALID_${what}`, message, f.name);
  }

  private coerce(store: Store, def: EntityDef, f: FieldDef, v: unknown): unknown {
    if (v === null || (v === '' && f.type !== 'string' && f.type !== 'text')) {
      if (f.required || f.nullable === false) throw this.invalid(def, f, `${f.name} must not be null`);
      return null;
    }
    const fail = (what: string) => this.invalid(def, f, `${f.name} must be ${what}`);
    switch (f.type) {
      case 'string':
      case 'text': {
        if (typeof v !== 'string') throw fail('a string');
        const s = f.type === 'string' ? v.trim() : v;
        if (f.required && s.length === 0) throw fail('a non-empty string');
        const max = f.maxLength ?? (f.type === 'string' ? 255 : 10_000_000);
        if (s.length > max) throw fail(`at most ${max} characters`);
        return s;
      }
      case 'integer':
      case 'ref': {
        const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw fail(f.type === 'ref' ? 'the integer id of an existing ' + this.get(f.ref!).label.toLowerCase() : 'an integer');
        if (f.min !== undefined && n < f.min) throw fail(`>= ${f.min}`);
        if (f.max !== undefined && n > f.max) throw fail(`<= ${f.max}`);
        if (f.type === 'ref') {
          const target = this.get(f.ref!);
          if (!this.row(store, target, n)) {
            throw new ApiError(404, 'API.NOT_FOUND', `API.${code(f.embed ?? f.name.replace(/_id$/, ''))}_NOT_FOUND`, `${f.name}: ${target.label.toLowerCase()} ${n} does not exist`, f.name);
          }
        }
        return n;
      }
      case 'number': {
        const n = typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw fail('a number');
        if (f.min !== undefined && n < f.min) throw fail(`>= ${f.min}`);
        if (f.max !== undefined && n > f.max) throw fail(`<= ${f.max}`);
        return n;
      }
      case 'boolean':
        if (typeof v === 'boolean') return v ? 1 : 0;
        if (v === 0 || v === 1) return v;
        if (v === 'true' || v === 'false') return v === 'true' ? 1 : 0;
        throw fail('true or false');
      case 'json': {
        if (typeof v === 'string') {
          try {
            JSON.parse(v);
          } catch {
            throw fail('valid JSON (a JSON string or an object)');
          }
          return v;
        }
        if (typeof v === 'object') return JSON.stringify(v);
        throw fail('valid JSON (a JSON string or an object)');
      }
      case 'datetime': {
        if (typeof v !== 'string') throw fail('a date and time like 2024-01-31T13:00:00');
        const m = DATETIME.exec(v.trim());
        if (!m || !validDate(+m[1], +m[2], +m[3]) || +m[4] > 23 || +m[5] > 59 || (m[6] !== undefined && +m[6] > 59)) {
          throw fail('a date and time like 2024-01-31T13:00:00');
        }
        return v.trim().replace(' ', 'T');
      }
      case 'time': {
        if (typeof v !== 'string' || !TIME.test(v)) throw fail('a time of day like 07:30:00');
        return v.length === 5 ? `${v}:00` : v;
      }
      case 'date': {
        const m = typeof v === 'string' ? DATE.exec(v) : null;
        if (!m || !validDate(+m[1], +m[2], +m[3])) throw fail('a date like 2024-01-31');
        return v;
      }
      case 'enum':
        if (typeof v !== 'string' || !f.values!.includes(v)) throw fail(`one of ${f.values!.map((x) => `'${x}'`).join(', ')}`);
        return v;
    }
  }

  // ---------------------------------------------------------------- writes (callers run these inside store.tx)

  create(ctx: RequestContext, def: EntityDef, input: unknown, fixed: Row = {}): number {
    const values = this.validate(ctx.store, def, input, null, fixed);
    def.hooks?.beforeWrite?.(values, { ...ctx, id: null, existing: null });
    if (def.uuid !== false) values.uuid = typeof values.uuid === 'string' ? values.uuid : randomUUID();
    const cols = Object.keys(values);
    const info = prep(ctx.store.db, `INSERT INTO ${def.table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => values[c] as never));
    const id = Number(info.lastInsertRowid);
    def.hooks?.afterWrite?.(id, { ...ctx, op: 'create' });
    return id;
  }

  update(ctx: RequestContext, def: EntityDef, id: number, input: unknown, fixed: Row = {}): void {
    const existing = this.mustRow(ctx.store, def, id);
    const values = this.validate(ctx.store, def, input, existing, fixed);
    def.hooks?.beforeWrite?.(values, { ...ctx, id, existing });
    const cols = Object.keys(values);
    if (cols.length) {
      prep(ctx.store.db, `UPDATE ${def.table} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...cols.map((c) => values[c] as never), id);
    }
    def.hooks?.afterWrite?.(id, { ...ctx, op: 'update' });
  }

  /** Deletes a row; answers the bindings removed with it (entities with deleteBindings), for the audit log. */
  remove(ctx: RequestContext, def: EntityDef, id: number): RemovedBinding[] {
    this.mustRow(ctx.store, def, id);
    def.hooks?.beforeDelete?.(id, ctx);
    this.assertUnreferenced(ctx.store, def, id, def.deleteBindings === true);
    const removed: RemovedBinding[] = [];
    if (def.deleteBindings) {
      // each relation's bindings read, then deleted: all of them in one batch (one round trip on PostgreSQL)
      const rels = def.relations ?? [];
      const db = ctx.store.db;
      const answers = batch(
        db,
        rels.flatMap((rel) => [
          [prep(db, `SELECT target_id FROM ${linkTable(def, rel)} WHERE owner_id = ? ORDER BY target_id`), [id]],
          [prep(db, `DELETE FROM ${linkTable(def, rel)} WHERE owner_id = ?`), [id]],
        ]),
      );
      rels.forEach((rel, i) => {
        for (const r of answers[2 * i] as { target_id: number }[]) removed.push({ relation: rel.name, target: rel.target, targetId: r.target_id });
      });
    }
    ctx.store.db.prepare(`DELETE FROM ${def.table} WHERE id = ?`).run(id);
    def.hooks?.afterWrite?.(id, { ...ctx, op: 'delete' });
    return removed;
  }

  /**
   * Refuses to delete a row that other rows still use (MyEMS: API.THERE_IS_RELATION_WITH_..., and
   * API.THERE_IS_RELATION_WITH_CHILDREN_SPACES for a space with sub-spaces). `ownBindingsGo`: the row's own
   * bindings are removed with it, so they do not refuse.
   */
  private assertUnreferenced(store: Store, def: EntityDef, id: number, ownBindingsGo = false): void {
    const refuse = (other: string, children = false) =>
      badRequest(`API.THERE_IS_RELATION_WITH_${children ? 'CHILDREN_' : ''}${code(other)}`, `${def.label} ${id} is still used by ${children ? 'its child ' : ''}${other.toLowerCase()}; ${children ? 'delete or move those' : 'unbind or delete those'} first`);
    const db = store.db;
    // every reference checked in one batch (one round trip on PostgreSQL); the first one found refuses
    const checks: { stmt: Statement; args: unknown[]; other: string; children?: boolean }[] = [];
    for (const other of this.defs.values()) {
      for (const f of other.fields) {
        if (f.type !== 'ref' || f.ref !== def.key || f.onDelete === 'cascade' || f.onDelete === 'setNull') continue;
        const self = other === def;
        checks.push({ stmt: prep(db, `SELECT 1 FROM ${other.table} WHERE ${f.name} = ? ${self ? 'AND id != ?' : ''} LIMIT 1`), args: self ? [id, id] : [id], other: other.path ?? other.key, children: self });
      }
      for (const rel of other.relations ?? []) {
        if (other === def && !ownBindingsGo) checks.push({ stmt: prep(db, `SELECT 1 FROM ${linkTable(other, rel)} WHERE owner_id = ? LIMIT 1`), args: [id], other: rel.name });
        if (rel.target === def.key) checks.push({ stmt: prep(db, `SELECT 1 FROM ${linkTable(other, rel)} WHERE target_id = ? LIMIT 1`), args: [id], other: other.path ?? other.key });
      }
    }
    // children that cascade must themselves be free of references from elsewhere
    const cascades: { other: EntityDef; stmt: Statement }[] = [];
    for (const other of this.defs.values()) {
      for (const f of other.fields) {
        if (f.type !== 'ref' || f.ref !== def.key || f.onDelete !== 'cascade' || other === def) continue;
        cascades.push({ other, stmt: prep(db, `SELECT id FROM ${other.table} WHERE ${f.name} = ?`) });
      }
    }
    const answers = batch(db, [...checks.map((c): [Statement, unknown[]] => [c.stmt, c.args]), ...cascades.map((c): [Statement, unknown[]] => [c.stmt, [id]])]);
    checks.forEach((c, i) => {
      if ((answers[i] as unknown[]).length) throw refuse(c.other, c.children);
    });
    cascades.forEach((c, i) => {
      for (const child of answers[checks.length + i] as { id: number }[]) this.assertUnreferenced(store, c.other, child.id);
    });
  }

  // ---------------------------------------------------------------- relations

  relation(def: EntityDef, name: string): RelationDef {
    const rel = def.relations?.find((r) => r.name === name);
    if (!rel) throw notFound('API.NOT_FOUND', `${def.label} has no relation ${name}`);
    return rel;
  }

  listRelated(store: Store, def: EntityDef, rel: RelationDef, ownerId: number): Row[] {
    this.mustRow(store, def, ownerId);
    const target = this.get(rel.target);
    const extra = (rel.extra ?? []).map((f) => `l.${f.name} AS __x_${f.name}`).join(', ');
    const rows = prep(store.db, `SELECT t.*${extra ? ', ' + extra : ''} FROM ${linkTable(def, rel)} l JOIN ${target.table} t ON t.id = l.target_id WHERE l.owner_id = ? ORDER BY t.id`).all(ownerId) as Row[];
    const memo = new Map<string, Row | null>();
    return rows.map((r) => {
      const o = this.serialize(store, target, r, memo);
      for (const f of rel.extra ?? []) o[f.name] = f.type === 'boolean' ? r[`__x_${f.name}`] === 1 : r[`__x_${f.name}`];
      return o;
    });
  }

  bind(ctx: RequestContext, def: EntityDef, rel: RelationDef, ownerId: number, input: unknown): number {
    this.mustRow(ctx.store, def, ownerId);
    if (input === null || typeof input !== 'object') throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{...}}', 'data');
    const data = input as Row;
    // the documented key, or the only *_id key given (the spec's own examples are not always consistent)
    let raw = data[rel.field];
    if (raw === undefined) {
      const ids = Object.keys(data).filter((k) => k.endsWith('_id'));
      if (ids.length === 1) raw = data[ids[0]];
    }
    const target = this.get(rel.target);
    const targetId = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof targetId !== 'number' || !Number.isSafeInteger(targetId)) {
      throw badRequest(`API.INVALID_${code(rel.field)}`, `${rel.field} must be the integer id of a ${target.label.toLowerCase()}`, rel.field);
    }
    this.mustRow(ctx.store, target, targetId);
    const table = linkTable(def, rel);
    if (prep(ctx.store.db, `SELECT 1 FROM ${table} WHERE owner_id = ? AND target_id = ?`).get(ownerId, targetId)) {
      throw badRequest(`API.${singularCode(def)}_${code(target.label)}_RELATION_EXISTS`, `${target.label} ${targetId} is already bound to ${def.label.toLowerCase()} ${ownerId}`, rel.field);
    }
    const extraDef: EntityDef = { ...def, fields: rel.extra ?? [], relations: [], nameUnique: false, nameField: null };
    const extra = rel.extra?.length ? this.validate(ctx.store, extraDef, data, null) : {};
    const cols = ['owner_id', 'target_id', ...Object.keys(extra)];
    const info = prep(ctx.store.db, `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(ownerId, targetId, ...Object.values(extra).map((v) => v as never));
    return Number(info.lastInsertRowid);
  }

  unbind(ctx: RequestContext, def: EntityDef, rel: RelationDef, ownerId: number, targetId: number): void {
    this.mustRow(ctx.store, def, ownerId);
    const info = prep(ctx.store.db, `DELETE FROM ${linkTable(def, rel)} WHERE owner_id = ? AND target_id = ?`).run(ownerId, targetId);
    if (info.changes === 0) {
      throw notFound(`API.${singularCode(def)}_${code(this.get(rel.target).label)}_RELATION_NOT_FOUND`, `${this.get(rel.target).label} ${targetId} is not bound to ${def.label.toLowerCase()} ${ownerId}`);
    }
  }

  // ---------------------------------------------------------------- export / import / clone

  /** The object with its children and relation ids, in a form import() takes back. */
  exportOne(store: Store, def: EntityDef, id: number): Row {
    const out = this.getOne(store, def, id);
    for (const c of this.ownedChildren(def)) {
      const child = this.get(c.entity);
      out[c.name] = (prep(store.db, `SELECT id FROM ${child.table} WHERE ${c.field} = ? ORDER BY id`).all(id) as { id: number }[]).map((r) =>
        this.exportOne(store, child, r.id),
      );
    }
    for (const rel of def.relations ?? []) {
      out[rel.name] = this.listRelated(store, def, rel, id).map((r) => ({ id: r.id, name: r.name ?? null, ...pick(r, (rel.extra ?? []).map((f) => f.name)) }));
    }
    return out;
  }

  /** Creates a new row (and its children and bindings) from an export. A taken name is refused. */
  importOne(ctx: RequestContext, def: EntityDef, data: unknown, fixed: Row = {}, remap = new Map<string, Map<number, number>>()): number {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw badRequest('API.INVALID_REQUEST_BODY', 'import expects {"data":{...}} holding an exported object', 'data');
    }
    const src = data as Row;
    const input: Row = {};
    for (const f of def.fields) {
      if (f.name in src) input[f.name] = src[f.name];
      else if (f.type === 'ref' && f.embed && src[f.embed] && typeof src[f.embed] === 'object') input[f.name] = (src[f.embed] as Row).id;
      // a reference to a sibling imported just before (a link's nodes) points at the new copy
      const moved = f.type === 'ref' ? remap.get(f.ref!)?.get(Number(input[f.name])) : undefined;
      if (moved !== undefined) input[f.name] = moved;
    }
    const id = this.create(ctx, def, input, fixed);
    for (const c of this.ownedChildren(def)) {
      const list = src[c.name];
      if (!Array.isArray(list)) continue;
      const ids = remap.get(c.entity) ?? new Map<number, number>();
      remap.set(c.entity, ids);
      for (const item of list) {
        const newId = this.importOne(ctx, this.get(c.entity), item, { [c.field]: id }, remap);
        if (item && typeof item === 'object' && typeof (item as Row).id === 'number') ids.set((item as Row).id as number, newId);
      }
    }
    for (const rel of def.relations ?? []) {
      const list = src[rel.name];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const tid = typeof item === 'object' && item !== null ? (item as Row).id : item;
        this.bind(ctx, def, rel, id, { ...(typeof item === 'object' ? (item as Row) : {}), [rel.field]: tid });
      }
    }
    return id;
  }

  cloneOne(ctx: RequestContext, def: EntityDef, id: number): number {
    const exported = this.exportOne(ctx.store, def, id);
    // the copy keeps the write-only secrets the export does not show
    const raw = this.mustRow(ctx.store, def, id);
    for (const f of def.fields) if (hasSecrets(f)) exported[f.name] = f.parsed && typeof raw[f.name] === 'string' ? JSON.parse(raw[f.name] as string) : raw[f.name];
    const nameField = def.nameField === null ? null : (def.nameField ?? 'name');
    // the name and every other globally unique text (a protocol's code) get a free variant
    const unique = def.fields.filter((f) => f.unique && f.type === 'string').map((f) => f.name);
    for (const field of new Set([...(nameField ? [nameField] : []), ...unique])) {
      if (typeof exported[field] === 'string') exported[field] = this.freeName(ctx.store, def, field, exported[field] as string);
    }
    return this.importOne(ctx, def, exported);
  }

  private freeName(store: Store, def: EntityDef, field: string, base: string): string {
    for (let n = 1; ; n++) {
      const candidate = `${base} (${n})`;
      if (!prep(store.db, `SELECT 1 FROM ${def.table} WHERE ${field} = ?`).get(candidate)) return candidate;
    }
  }

  /** Children that are part of def (their FK cascades): exported, imported and cloned with it. */
  ownedChildren(def: EntityDef): { name: string; entity: string; field: string }[] {
    return this.childrenOf(def).filter((c) => this.get(c.entity).fields.find((f) => f.name === c.field)?.onDelete === 'cascade');
  }

  /** Children listed under def (declared on the parent, or nested-only entities under it). */
  childrenOf(def: EntityDef): { name: string; entity: string; field: string }[] {
    const list = [...(def.children ?? [])];
    for (const other of this.defs.values()) {
      if (other.nestedUnder?.entity === def.key && !list.some((c) => c.entity === other.key)) {
        list.push({ name: other.nestedUnder.name, entity: other.key, field: other.nestedUnder.field });
      }
    }
    return list;
  }

  /** The declarations as the renderer's generated configuration screens read them. */
  meta(): unknown[] {
    return [...this.defs.values()].map((d) => ({
      key: d.key,
      path: d.path,
      label: d.label,
      group: d.group,
      nameField: d.nameField === null ? null : (d.nameField ?? 'name'),
      nestedUnder: d.nestedUnder ?? null,
      deleteBindings: d.deleteBindings === true,
      fields: d.fields.map((f) => ({
        name: f.name,
        type: f.type,
        label: f.label ?? humanize(f.name),
        required: !!f.required,
        nullable: f.nullable ?? !f.required,
        ...(f.values ? { values: f.values } : {}),
        ...(f.ref ? { ref: f.ref } : {}),
        ...(f.embed ? { embed: f.embed } : {}),
        ...(f.readOnly ? { readOnly: true } : {}),
        ...(f.writeOnly ? { writeOnly: true } : {}),
        ...(f.min !== undefined ? { min: f.min } : {}),
        ...(f.max !== undefined ? { max: f.max } : {}),
        ...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {}),
        ...(f.default !== undefined && typeof f.default !== 'function' ? { default: f.default } : {}),
        ...(f.help ? { help: f.help } : {}),
      })),
      relations: (d.relations ?? []).map((r) => ({ name: r.name, target: r.target, field: r.field, label: r.label ?? humanize(r.name) })),
      children: this.childrenOf(d),
      export: d.export !== false,
      import: d.import !== false,
      clone: d.clone !== false,
      // the screens hide from non-administrators what the server would refuse them
      readAdminOnly: !!d.readAdminOnly,
    }));
  }
}

function sqlType(f: FieldDef): string {
  switch (f.type) {
    case 'integer':
    case 'boolean':
    case 'ref':
      return 'INTEGER';
    case 'number':
      return 'REAL';
    default:
      return 'TEXT';
  }
}

/** Configuration JSON holds write-only secrets (keys named password, token, secret...) unless declared otherwise. */
const hasSecrets = (f: FieldDef) => f.type === 'json' && f.secretKeys !== false;

/** A JSON text with its secrets answered as {"set":true}. */
function maskJson(v: string): string {
  try {
    return JSON.stringify(maskSecrets(JSON.parse(v)));
  } catch {
    return v;
  }
}

/** Input of a secretKeys field with the placeholders replaced by the stored secrets (as text when given as text). */
function keepSecrets(input: unknown, stored: unknown): unknown {
  const parse = (v: unknown) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return undefined;
    }
  };
  const value = parse(input);
  if (value === undefined || value === null || typeof value !== 'object') return input;
  const kept = restoreSecrets(value, parse(stored));
  return typeof input === 'string' ? JSON.stringify(kept) : kept;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function pick(o: Row, keys: string[]): Row {
  const r: Row = {};
  for (const k of keys) r[k] = o[k];
  return r;
}

export const humanize = (name: string) =>
  name
    .replace(/_id$/, '')
    .split('_')
    .map((w, i) => (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w))
    .join(' ');
