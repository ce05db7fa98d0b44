/**
 * The operator's programs and partners (/api/dr/programs, /api/dr/partners): partner roles (a VEN, or the
 * operator's business logic client of the OpenADR VTN) and program enrolment (which partners see a program and
 * its untargeted events). Enrolling partners is a PROGRAM UPDATE notification for them.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest } from '../api/errors';
import { dataOf, idParam, principalOf, requireAdmin } from '../api/server';
import { newSecret, secretHash } from '../auth/passwords';
import type { Principal } from '../auth/service';
import type { RuntimeContext } from '../feature';
import { programChange } from './changes';
import type { ProgramRow } from './openadr-wire';
import { type DemandResponse, now } from './service';
import { enrolled } from './visibility';

export function registerEnrolment(app: FastifyInstance, ctx: RuntimeContext, dr: DemandResponse): void {
  const db = ctx.store.db;
  const audit = (p: Principal, action: string, target: string, value?: unknown) => ctx.audit.record({ userId: p.userId, userName: p.userName, action, target, newValue: value, result: 'ok' });

  app.get('/api/dr/programs', async (req) => {
    principalOf(req);
    // partner_ids: the partners enrolled explicitly (others may see the program through events aimed at them)
    return (db.prepare('SELECT id, uuid, name, description, created_at AS created_datetime FROM dr_programs ORDER BY id').all() as { id: number }[]).map((p) => ({
      ...p,
      partner_ids: (db.prepare('SELECT partner_id FROM dr_program_partners WHERE program_id = ? ORDER BY partner_id').all(p.id) as { partner_id: number }[]).map((x) => x.partner_id),
    }));
  });
  app.post('/api/dr/programs', async (req, reply) => {
    const p = principalOf(req);
    const d = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    if (typeof d.name !== 'string' || !d.name.trim()) throw badRequest('API.INVALID_NAME', 'name is required', 'name');
    if (db.prepare('SELECT 1 FROM dr_programs WHERE name = ?').get(d.name.trim())) throw badRequest('API.PROGRAM_NAME_IS_ALREADY_IN_USE', `program ${d.name} exists already`, 'name');
    const id = Number(db.prepare('INSERT INTO dr_programs (uuid, name, description, created_at, modified_at) VALUES (?, ?, ?, ?, ?)').run(randomUUID(), d.name.trim(), typeof d.description === 'string' ? d.description : null, now(), now()).lastInsertRowid);
    audit(p, 'dr.program.create', `dr_programs:${id}`, d);
    dr.notify(programChange(db, db.prepare('SELECT * FROM dr_programs WHERE id = ?').get(id) as ProgramRow, 'CREATE'));
    reply.code(201).header('Location', `/api/dr/programs/${id}`);
    return db.prepare('SELECT id, uuid, name, description FROM dr_programs WHERE id = ?').get(id);
  });

  // the partners enrolled in a program (they see it and its untargeted events)
  app.put('/api/dr/programs/:id/partners', async (req) => {
    const p = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    if (!db.prepare('SELECT 1 FROM dr_programs WHERE id = ?').get(id)) throw new ApiError(404, 'API.NOT_FOUND', 'API.PROGRAM_NOT_FOUND', `program ${id} does not exist`);
    const ids = ((dataOf(req.body) ?? {}) as Record<string, unknown>).partner_ids;
    if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x) && db.prepare('SELECT 1 FROM dr_partners WHERE id = ?').get(x))) throw badRequest('API.INVALID_PARTNER_IDS', 'partner_ids must be a list of partner ids', 'partner_ids');
    ctx.store.tx(() => {
      db.prepare('DELETE FROM dr_program_partners WHERE program_id = ?').run(id);
      for (const x of new Set(ids as number[])) db.prepare('INSERT INTO dr_program_partners (program_id, partner_id) VALUES (?, ?)').run(id, x);
    });
    audit(p, 'dr.program.partners', `dr_programs:${id}`, ids);
    // the partners enrolled now hear of the program (an UPDATE: it existed before they could see it)
    dr.notify(programChange(db, db.prepare('SELECT * FROM dr_programs WHERE id = ?').get(id) as ProgramRow, 'UPDATE'));
    return { partner_ids: [...new Set(ids)] };
  });

  app.get('/api/dr/partners', async (req) => {
    requireAdmin(req);
    const programs = db.prepare('SELECT id, name FROM dr_programs ORDER BY id').all() as { id: number; name: string }[];
    // the programs each partner sees: enrolled explicitly, or through an event aimed at one of its resources
    return (db.prepare('SELECT id, uuid, name, role, client_id, ven_name, created_at AS created_datetime FROM dr_partners ORDER BY id').all() as { id: number; role: string }[]).map((x) => ({
      ...x,
      programs: x.role === 'bl' ? [] : programs.filter((p) => enrolled(db, x.id, p.id)).map((p) => ({ ...p, explicit: Boolean(db.prepare('SELECT 1 FROM dr_program_partners WHERE program_id = ? AND partner_id = ?').get(p.id, x.id)) })),
    }));
  });
  app.put('/api/dr/partners/:id', async (req) => {
    const p = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    if (!db.prepare('SELECT 1 FROM dr_partners WHERE id = ?').get(id)) throw new ApiError(404, 'API.NOT_FOUND', 'API.PARTNER_NOT_FOUND', `partner ${id} does not exist`);
    const role = ((dataOf(req.body) ?? {}) as Record<string, unknown>).role;
    if (role !== 'ven' && role !== 'bl') throw badRequest('API.INVALID_ROLE', 'role must be ven or bl', 'role');
    db.prepare('UPDATE dr_partners SET role = ? WHERE id = ?').run(role, id);
    audit(p, 'dr.partner.role', `dr_partners:${id}`, { role });
    return db.prepare('SELECT id, uuid, name, role, client_id, ven_name FROM dr_partners WHERE id = ?').get(id);
  });
  app.post('/api/dr/partners', async (req, reply) => {
    const p = principalOf(req);
    const d = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    if (typeof d.name !== 'string' || !d.name.trim()) throw badRequest('API.INVALID_NAME', 'name is required', 'name');
    if (db.prepare('SELECT 1 FROM dr_partners WHERE name = ?').get(d.name.trim())) throw badRequest('API.PARTNER_NAME_IS_ALREADY_IN_USE', `partner ${d.name} exists already`, 'name');
    const role = d.role ?? 'ven';
    // 'ven': a partner's VEN; 'bl': the operator's own business logic client of the OpenADR VTN (reads and writes all)
    if (role !== 'ven' && role !== 'bl') throw badRequest('API.INVALID_ROLE', 'role must be ven or bl', 'role');
    const key = newSecret();
    const clientId = `partner-${randomUUID()}`;
    const id = Number(db.prepare('INSERT INTO dr_partners (uuid, name, key_hash, client_id, created_at, role) VALUES (?, ?, ?, ?, ?, ?)').run(randomUUID(), d.name.trim(), secretHash(key), clientId, now(), role).lastInsertRowid);
    audit(p, 'dr.partner.create', `dr_partners:${id}`, { name: d.name });
    reply.code(201).header('Location', `/api/dr/partners/${id}`);
    // shown once: the API key (a bearer key, also the OAuth2 client secret)
    return { id, name: d.name.trim(), role, client_id: clientId, api_key: key };
  });
  app.delete('/api/dr/partners/:id', async (req, reply) => {
    const p = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    if (!db.prepare('DELETE FROM dr_partners WHERE id = ?').run(id).changes) throw new ApiError(404, 'API.NOT_FOUND', 'API.PARTNER_NOT_FOUND', `partner ${id} does not exist`);
    audit(p, 'dr.partner.delete', `dr_partners:${id}`);
    return reply.code(204).send();
  });

}
