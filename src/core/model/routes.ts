import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, forbidden, notFound } from '../api/errors';
import { dataOf, idParam, principalOf, requireAdmin } from '../api/server';
import type { AuditLog } from '../audit/audit';
import type { Access } from '../auth/access';
import type { Principal } from '../auth/service';
import type { Store } from '../store/store';
import type { Change, Registry } from './registry';
import { rowChange } from '../audit/changes';
import { EntityRoutes } from './dispatch';
import type { ChangeOp, EntityDef, RemovedBinding, RequestContext } from './types';

export interface ModelRouteDeps {
  store: Store;
  registry: Registry;
  audit: AuditLog;
  /** object-level permission: lists show only what the caller's privilege allows */
  access?: Access;
}

type Row = Record<string, unknown>;

/**
 * Generates the MyEMS-dialect routes of every declared entity: list, get, create, update, delete,
 * export, import, clone, bind/unbind and children. Every write is one transaction and one audit entry.
 */
export function registerModelRoutes(app: FastifyInstance, deps: ModelRouteDeps): void {
  const { store, registry, audit, access } = deps;
  /** writes are configuration: administrators only, refused before anything is looked up */
  const configure = { config: { role: 'configure' as const } };

  app.get('/api/meta/entities', async () => registry.meta());
  // the generated routes are dispatched by entity path behind a few fastify routes (dispatch.ts)
  const generated = new EntityRoutes(app);

  const ctxOf = (req: FastifyRequest): RequestContext => {
    const p = principalOf(req);
    return { store, userId: p.userId, userName: p.userName, reply: {} };
  };

  /**
   * Runs a write, its audit entry (what changed, bounded) and nothing else in one transaction: all or nothing.
   * Listeners (acquisition, alarms, historian) are told once, after the commit, with every change.
   */
  const write = <T>(req: FastifyRequest, def: EntityDef, op: ChangeOp, target: string, fn: (ctx: RequestContext) => T, changed?: (r: T) => Change[]) => {
    const p = requireAdmin(req);
    const ctx = ctxOf(req);
    const targetId = /^\d+(?=\/|$)/.exec(target) ? parseInt(target, 10) : null;
    let changes: Change[] = [];
    let result: T;
    try {
      result = store.tx(() => {
        const before = targetId !== null && (op === 'update' || op === 'delete') ? (registry.row(store, def, targetId) ?? null) : null;
        const r = fn(ctx);
        const newId = op === 'update' ? targetId : typeof r === 'number' && (op === 'create' || op === 'import' || op === 'clone') ? r : null;
        const after = newId !== null ? (registry.row(store, def, newId) ?? null) : null;
        const diff = before || after ? rowChange(def, before, after) : { old: null, new: op === 'bind' ? dataOf(req.body) : null };
        audit.record({ userId: p.userId, userName: p.userName, action: `config.${op}`, target: `${def.key}:${target === 'new' && newId !== null ? newId : target}`, oldValue: diff.old, newValue: diff.new, result: 'ok' });
        changes = changed?.(r) ?? [];
        return r;
      });
    } catch (err) {
      try {
        audit.record({ userId: p.userId, userName: p.userName, action: `config.${op}`, target: `${def.key}:${target}`, result: 'failed', details: { error: (err as Error).message } });
      } catch {
        /* the store itself failing: the original error is what the caller needs */
      }
      throw err;
    }
    registry.emitAll(changes);
    return { result, ctx };
  };

  /** Each binding a delete removed with its owner gets its own audit entry, in the delete's transaction. */
  const auditRemovedBindings = (c: RequestContext, def: EntityDef, id: number, removed: RemovedBinding[]) => {
    for (const b of removed) {
      audit.record({ userId: c.userId, userName: c.userName, action: 'config.unbind', target: `${def.key}:${id}/${b.relation}/${b.targetId}`, oldValue: { [b.relation]: b.targetId }, newValue: null, result: 'ok', details: { reason: `${def.label.toLowerCase()} ${id} deleted` } });
    }
  };

  const visible = (req: FastifyRequest, def: EntityDef) => {
    const p = principalOf(req);
    if (def.readAdminOnly && !p.isAdmin && def.key !== 'users') throw forbidden('API.ADMINISTRATOR_REQUIRED', `only an administrator may read ${def.label.toLowerCase()}s`);
    return p;
  };

  /** The rows the caller may see (privilege), without the fields only administrators read. */
  const spaceFilter = (req: FastifyRequest, def: EntityDef, rows: Row[]): Row[] => {
    const p = principalOf(req);
    if (def.key === 'users' && !p.isAdmin) return rows.filter((r) => r.id === p.userId);
    const seen = access ? access.filter(p, def.key, rows) : rows;
    return p.isAdmin ? seen : seen.map((r) => withoutAdminFields(p, def, r));
  };
  const withoutAdminFields = (p: Principal, def: EntityDef, row: Row): Row => {
    if (p.isAdmin) return row;
    const hidden = def.fields.filter((f) => f.adminOnly);
    if (!hidden.length && !registry.ownedChildren(def).length) return row;
    const out = { ...row };
    for (const f of hidden) delete out[f.name];
    for (const c of registry.ownedChildren(def)) {
      if (Array.isArray(out[c.name])) out[c.name] = (out[c.name] as Row[]).map((x) => withoutAdminFields(p, registry.get(c.entity), x));
    }
    return out;
  };

  const created = (reply: FastifyReply, def: EntityDef, basePath: string, id: number, extra: Row = {}) => {
    reply.code(201).header('Location', `${basePath}/${id}`);
    return { ...registry.getOne(store, def, id), ...extra };
  };

  for (const def of registry.defs.values()) {
    const routesFor = (base: string, fixedParent?: { field: string; parent: EntityDef }) => {
      const parentId = (req: FastifyRequest) => {
        if (!fixedParent) return {};
        const pid = idParam((req.params as Row).pid, 'id');
        registry.mustRow(store, fixedParent.parent, pid);
        return { [fixedParent.field]: pid };
      };
      const inParent = (req: FastifyRequest, id: number) => {
        const fixed = parentId(req);
        const row = registry.mustRow(store, def, id);
        if (fixedParent && row[fixedParent.field] !== fixed[fixedParent.field]) {
          throw notFound(`API.${def.label.toUpperCase().replace(/\W+/g, '_')}_NOT_FOUND`, `${def.label} ${id} does not belong to this ${fixedParent.parent.label.toLowerCase()}`);
        }
        return row;
      };
      const url = (req: FastifyRequest) => req.url.split('?')[0].replace(/\/$/, '');

      generated.get(base, async (req) => {
        visible(req, def);
        const fixed = parentId(req);
        const where = fixedParent ? { field: fixedParent.field, value: fixed[fixedParent.field] } : undefined;
        let rows = spaceFilter(req, def, registry.list(store, def, where));
        const q = (req.query as Row).q;
        if (typeof q === 'string' && q) rows = rows.filter((r) => JSON.stringify(r).toLowerCase().includes(q.toLowerCase()));
        return rows;
      });
      generated.get(`${base}/:id`, async (req) => {
        visible(req, def);
        const id = idParam((req.params as Row).id);
        inParent(req, id);
        const [row] = spaceFilter(req, def, [registry.getOne(store, def, id)]);
        if (!row) throw forbidden('API.NO_PRIVILEGE', `your privilege does not include ${def.label.toLowerCase()} ${id}`);
        return row;
      });
      generated.post(base, configure, async (req, reply) => {
        const fixed = parentId(req);
        const { result: id, ctx } = write(req, def, 'create', 'new', (c) => registry.create(c, def, dataOf(req.body), fixed), (id) => [{ entity: def.key, id, op: 'create' }]);
        return created(reply, def, url(req), id, ctx.reply);
      });
      generated.put(`${base}/:id`, configure, async (req) => {
        const id = idParam((req.params as Row).id);
        inParent(req, id);
        const fixed = parentId(req);
        write(req, def, 'update', String(id), (c) => registry.update(c, def, id, dataOf(req.body), fixed), () => [{ entity: def.key, id, op: 'update' }]);
        return registry.getOne(store, def, id);
      });
      generated.delete(`${base}/:id`, configure, async (req, reply) => {
        const id = idParam((req.params as Row).id);
        inParent(req, id);
        write(req, def, 'delete', String(id), (c) => auditRemovedBindings(c, def, id, registry.remove(c, def, id)), () => [{ entity: def.key, id, op: 'delete' }]);
        return reply.code(204).send();
      });
    };

    if (def.path) {
      const base = `/api/${def.path}`;
      routesFor(base);
      if (def.export !== false) {
        generated.get(`${base}/:id/export`, async (req) => {
          const p = visible(req, def);
          return withoutAdminFields(p, def, registry.exportOne(store, def, idParam((req.params as Row).id)));
        });
      }
      if (def.import !== false) {
        const importHandler = async (req: FastifyRequest, reply: FastifyReply) => {
          let data = dataOf(req.body);
          // the spec's own examples send {"data":{"data":{...}}} for some entities
          if (data && typeof data === 'object' && 'data' in (data as Row) && typeof (data as Row).data === 'object' && !def.fields.some((f) => f.name === 'data')) {
            data = (data as Row).data;
          }
          const { result: id } = write(req, def, 'import', 'new', (c) => registry.importOne(c, def, data), (id) => [{ entity: def.key, id, op: 'create' }]);
          return created(reply, def, base, id);
        };
        for (const p of [`${base}/import`, `${base}/:id/import`]) {
          generated.post(p, configure, importHandler);
          generated.put(p, configure, importHandler);
        }
      }
      if (def.clone !== false) {
        const cloneHandler = async (req: FastifyRequest, reply: FastifyReply) => {
          const params = req.params as Row;
          const bodyId = (dataOf(req.body) as Row | undefined)?.id;
          const id = idParam(params.id ?? bodyId, 'id');
          const { result: newId } = write(req, def, 'clone', String(id), (c) => registry.cloneOne(c, def, id), (nid) => [{ entity: def.key, id: nid, op: 'create' }]);
          return created(reply, def, base, newId);
        };
        generated.post(`${base}/:id/clone`, configure, cloneHandler);
        generated.post(`${base}/clone`, configure, cloneHandler);
      }
      for (const rel of def.relations ?? []) {
        generated.get(`${base}/:id/${rel.name}`, async (req) => {
          visible(req, def);
          return spaceFilter(req, registry.get(rel.target), registry.listRelated(store, def, rel, idParam((req.params as Row).id)));
        });
        generated.post(`${base}/:id/${rel.name}`, configure, async (req, reply) => {
          const id = idParam((req.params as Row).id);
          write(req, def, 'bind', `${id}/${rel.name}`, (c) => registry.bind(c, def, rel, id, dataOf(req.body)), () => [{ entity: def.key, id, op: 'update' }]);
          reply.code(201).header('Location', `${base}/${id}/${rel.name}`);
          return registry.listRelated(store, def, rel, id);
        });
        generated.delete(`${base}/:id/${rel.name}/:rid`, configure, async (req, reply) => {
          const id = idParam((req.params as Row).id);
          const rid = idParam((req.params as Row).rid, 'rid');
          write(req, def, 'unbind', `${id}/${rel.name}/${rid}`, (c) => registry.unbind(c, def, rel, id, rid), () => [{ entity: def.key, id, op: 'update' }]);
          return reply.code(204).send();
        });
      }
      for (const child of def.children ?? []) {
        const childDef = registry.get(child.entity);
        generated.get(`${base}/:id/${child.name}`, async (req) => {
          visible(req, def);
          const id = idParam((req.params as Row).id);
          registry.mustRow(store, def, id);
          return spaceFilter(req, childDef, registry.list(store, childDef, { field: child.field, value: id }));
        });
      }
    }
    if (def.nestedUnder) {
      const parent = registry.get(def.nestedUnder.entity);
      if (!parent.path) throw new Error(`${def.key} is nested under ${parent.key}, which has no path`);
      routesFor(`/api/${parent.path}/:pid/${def.nestedUnder.name}`, { field: def.nestedUnder.field, parent });
    }
    def.routes?.(app, { registry, store, write });
  }
  generated.install();
}

/** The spaces in the list and all their descendants. */
export function allowedSpaces(store: Store, roots: number[]): Set<number> {
  const rows = store.db.prepare('SELECT id, parent_space_id FROM spaces').all() as { id: number; parent_space_id: number | null }[];
  const children = new Map<number, number[]>();
  for (const r of rows) if (r.parent_space_id !== null) children.set(r.parent_space_id, [...(children.get(r.parent_space_id) ?? []), r.id]);
  const out = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}

export const assertBody = (body: unknown) => {
  if (body === undefined) throw badRequest('API.INVALID_REQUEST_BODY', 'a JSON body {"data":{...}} is required', 'data');
};
