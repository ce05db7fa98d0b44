import type { FastifyRequest } from 'fastify';
import { forbidden } from '../api/errors';
import { routeOf } from '../api/server';
import { linkTable, type Registry } from '../model/registry';
import type { EntityDef } from '../model/types';
import type { Store } from '../store/store';
import type { Principal } from './service';

type Row = Record<string, unknown>;
interface Edge {
  to: string;
  /** SQL answering (owner id) -> target ids; one '?' per owner id is appended as IN (...) */
  sql: string;
}
export interface ObjectRef {
  entity: string;
  id: number | null;
  /** how the request named it (for the message) */
  via: string;
}

const CHUNK = 500;

/**
 * Object-level permission, in one place. A privilege names spaces; a user limited by one sees those spaces,
 * their sub-spaces and everything reachable from them through the entity model: objects bound to them
 * (meters, equipment, points, commands, tenants...), objects bound to those (a meter's points), children
 * that belong to them (a container's batteries, an equipment's parameters, a point's alarm). Entities that no
 * space reaches (energy categories, tariffs, data sources...) are plant-wide reference data that every user
 * reads. Administrators and users without a privilege see everything.
 *
 * The API asks `check(req)` before any handler runs (ids in the route and in the query string such as
 * `?spaceid=` are resolved from the route's pattern), so an object outside the privilege is a 403 whether or
 * not it exists; lists are filtered with `filter`.
 */
export class Access {
  private edges: Map<string, Edge[]> | null = null;
  private scoped: Set<string> | null = null;
  private readonly memo = new WeakMap<Principal, Map<string, Set<number>>>();
  private readonly routeObjects = new Map<string, { entity: string; param: string }[]>();
  private bySingular: Map<string, EntityDef> | null = null;

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
  ) {}

  /** The entity types a privilege restricts (reachable from spaces). */
  scopedEntities(): Set<string> {
    this.build();
    return this.scoped!;
  }

  canSee(p: Principal, entity: string, id: number | null): boolean {
    if (p.isAdmin || p.spaces === null) return true;
    if (!this.scopedEntities().has(entity)) return true;
    if (id === null) return false;
    return this.visible(p).get(entity)?.has(id) ?? false;
  }

  /** The rows of a list this caller may see. */
  filter<T extends Row>(p: Principal, entity: string, rows: T[]): T[] {
    if (p.isAdmin || p.spaces === null || !this.scopedEntities().has(entity)) return rows;
    const ids = this.visible(p).get(entity);
    return rows.filter((r) => ids?.has(r.id as number));
  }

  /** Every object a request names: entity ids in the route pattern, and `<entity>id` / `<entity>uuid` query parameters. */
  objectsOf(req: FastifyRequest): ObjectRef[] {
    const pattern = routeOf(req)?.url;
    if (!pattern) return [];
    const params = (req.params ?? {}) as Record<string, string>;
    const out: ObjectRef[] = [];
    for (const o of this.parse(pattern)) {
      const raw = params[o.param];
      out.push({ entity: o.entity, id: /^\d{1,15}$/.test(String(raw)) ? Number(raw) : null, via: `${o.entity}/${String(raw)}` });
    }
    const query = req.query && typeof req.query === 'object' ? (req.query as Record<string, unknown>) : {};
    this.build();
    for (const [k, v] of Object.entries(query)) {
      const m = /^(.*?)(id|uuid)$/.exec(k.toLowerCase().replace(/[-_]/g, ''));
      const def = m ? this.bySingular!.get(m[1]) : undefined;
      if (!def || typeof v !== 'string' || v === '') continue;
      for (const one of v.split(',').slice(0, 1000)) {
        const s = one.trim();
        let id: number | null = null;
        if (m![2] === 'id') id = /^\d{1,15}$/.test(s) ? Number(s) : null;
        else if (def.uuid !== false) id = (this.store.db.prepare(`SELECT id FROM ${def.table} WHERE uuid = ?`).get(s) as { id: number } | undefined)?.id ?? null;
        if (id === null && m![2] === 'id') continue; // not an id: the handler answers its 400
        out.push({ entity: def.key, id, via: `${k}=${s}` });
      }
    }
    return out;
  }

  /** Throws 403 when the request names an object outside the caller's privilege (existing or not). */
  check(req: FastifyRequest, p: Principal): void {
    if (p.isAdmin || p.spaces === null) return;
    for (const o of this.objectsOf(req)) {
      if (!this.canSee(p, o.entity, o.id)) throw forbidden('API.NO_PRIVILEGE', `your privilege does not include ${o.via}`);
    }
  }

  /** The objects a route pattern names through its parameters: '/api/spaces/:id/meters' -> spaces by :id. */
  parse(pattern: string): { entity: string; param: string }[] {
    const cached = this.routeObjects.get(pattern);
    if (cached) return cached;
    const byPath = new Map([...this.registry.defs.values()].filter((d) => d.path).map((d) => [d.path!, d]));
    const segs = pattern.split('/').filter(Boolean);
    const out: { entity: string; param: string }[] = [];
    let prev: EntityDef | undefined;
    for (let i = 1; i < segs.length - 1; i++) {
      if (segs[i].startsWith(':') || !segs[i + 1].startsWith(':')) continue;
      // '/api/<path>/:id', or a nested-only child '/api/<parent>/:pid/<name>/:id'
      const def = (i === 1 ? byPath.get(segs[i]) : undefined) ?? [...this.registry.defs.values()].find((d) => prev && d.nestedUnder?.entity === prev.key && d.nestedUnder.name === segs[i]) ?? byPath.get(segs[i]);
      if (!def) continue;
      out.push({ entity: def.key, param: segs[i + 1].slice(1).replace(/\(.*$/, '') });
      prev = def;
    }
    this.routeObjects.set(pattern, out);
    return out;
  }

  /** The graph of the entity model, from spaces downwards. */
  private build(): void {
    if (this.edges) return;
    const defs = [...this.registry.defs.values()];
    const edges = new Map<string, Edge[]>();
    const add = (from: string, e: Edge) => edges.set(from, [...(edges.get(from) ?? []), e]);
    const personal = new Set(['users', 'apikeys', 'privileges']);
    for (const d of defs) {
      for (const rel of d.relations ?? []) {
        if (personal.has(rel.target)) continue;
        add(d.key, { to: rel.target, sql: `SELECT target_id AS id FROM ${linkTable(d, rel)} WHERE owner_id IN ` });
      }
      for (const c of this.registry.childrenOf(d)) {
        add(d.key, { to: c.entity, sql: `SELECT id FROM ${this.registry.get(c.entity).table} WHERE ${c.field} IN ` });
      }
      for (const o of defs) {
        if (personal.has(o.key)) continue;
        for (const f of o.fields) {
          if (f.type === 'ref' && f.ref === d.key && f.onDelete === 'cascade' && !this.registry.childrenOf(d).some((c) => c.entity === o.key && c.field === f.name)) {
            add(d.key, { to: o.key, sql: `SELECT id FROM ${o.table} WHERE ${f.name} IN ` });
          }
        }
      }
    }
    const scoped = new Set<string>(['spaces']);
    const queue = ['spaces'];
    while (queue.length) {
      for (const e of edges.get(queue.shift()!) ?? []) {
        if (scoped.has(e.to)) continue;
        scoped.add(e.to);
        queue.push(e.to);
      }
    }
    this.edges = edges;
    this.scoped = scoped;
    this.bySingular = new Map();
    for (const d of defs) if (d.path) for (const name of [d.path, d.path.replace(/s$/, ''), d.key, d.key.replace(/s$/, '')]) if (!this.bySingular.has(name)) this.bySingular.set(name, d);
  }

  /** entity -> ids the principal may see, computed once per request (the principal is per request). */
  private visible(p: Principal): Map<string, Set<number>> {
    const hit = this.memo.get(p);
    if (hit) return hit;
    this.build();
    const seen = new Map<string, Set<number>>();
    const known = new Set((this.store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const queue: { entity: string; ids: number[] }[] = [{ entity: 'spaces', ids: p.spaces ?? [] }];
    while (queue.length) {
      const { entity, ids } = queue.shift()!;
      const set = seen.get(entity) ?? new Set<number>();
      seen.set(entity, set);
      const fresh = ids.filter((id) => !set.has(id));
      if (!fresh.length) continue;
      for (const id of fresh) set.add(id);
      for (const e of this.edges!.get(entity) ?? []) {
        const table = /FROM (\S+)/.exec(e.sql)![1];
        if (!known.has(table)) continue;
        const next: number[] = [];
        for (let i = 0; i < fresh.length; i += CHUNK) {
          const part = fresh.slice(i, i + CHUNK);
          for (const r of this.store.db.prepare(`${e.sql}(${part.map(() => '?').join(',')})`).all(...part) as { id: number }[]) next.push(r.id);
        }
        if (next.length) queue.push({ entity: e.to, ids: next });
      }
    }
    this.memo.set(p, seen);
    return seen;
  }
}
