/** Ecosuite's participants (/api/dr/participants): an apikeys key in Authorization, or the API's own headers. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../api/errors';
import type { Principal } from '../auth/service';
import type { RuntimeContext } from '../feature';
import { now } from './service';

export function registerEcosuite(app: FastifyInstance, ctx: RuntimeContext): void {
  const db = ctx.store.db;
  const who = (req: FastifyRequest): Principal => {
    const key = req.headers.authorization;
    if (typeof key === 'string' && key.trim() && !/^Bearer\s/i.test(key)) return ctx.auth.byApiKey(key.trim());
    return ctx.auth.authenticate(req.headers);
  };
  const own = { config: { auth: 'own' as const } };
  const participant = (id: string) => {
    const n = Number(id);
    const p = Number.isInteger(n) && n > 0 ? (db.prepare('SELECT * FROM dr_participants WHERE id = ?').get(n) as { id: number; code: string; contact_user: string; phone_contact: string } | undefined) : undefined;
    if (!p) throw new ApiError(400, 'API.BAD_REQUEST', 'API.INVALID_PARTICIPANT_ID', 'Invalid participant id');
    return p;
  };
  const out = (p: { code: string; contact_user: string; phone_contact: string }) => ({ code: p.code, contactUser: p.contact_user, phoneContact: p.phone_contact });
  app.get('/api/dr/participants', own, async (req) => {
    who(req);
    return { events: (db.prepare('SELECT * FROM dr_participants ORDER BY id').all() as { code: string; contact_user: string; phone_contact: string }[]).map(out) };
  });
  app.get('/api/dr/participants/:participantId', own, async (req) => {
    who(req);
    return out(participant((req.params as { participantId: string }).participantId));
  });
  app.post('/api/dr/participants', own, async (req, reply) => {
    const p = who(req);
    if (p.isReadOnly) throw new ApiError(403, 'API.FORBIDDEN', 'API.READ_ONLY_USER', 'a read-only key cannot create participants');
    const b = (req.body ?? {}) as Record<string, unknown>;
    const body = (b.data && typeof b.data === 'object' ? b.data : b) as Record<string, unknown>;
    for (const f of ['code', 'contactUser', 'phoneContact']) if (typeof body[f] !== 'string' || !(body[f] as string).trim()) throw badRequest(`API.INVALID_${f.toUpperCase()}`, `${f} is required`, f);
    if (db.prepare('SELECT 1 FROM dr_participants WHERE code = ?').get(body.code)) throw badRequest('API.CODE_IS_ALREADY_IN_USE', `participant ${String(body.code)} exists already`, 'code');
    const id = db.prepare('INSERT INTO dr_participants (code, contact_user, phone_contact, created_at) VALUES (?, ?, ?, ?)').run(body.code, body.contactUser, body.phoneContact, now()).lastInsertRowid;
    ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'dr.participant.create', target: `dr_participants:${id}`, newValue: body, result: 'ok' });
    // the document: 200, application/json, a string (the participant id)
    return reply.type('application/json').send(JSON.stringify(String(id)));
  });
  app.delete('/api/dr/participants/:participantId', own, async (req, reply) => {
    const p = who(req);
    if (p.isReadOnly) throw new ApiError(403, 'API.FORBIDDEN', 'API.READ_ONLY_USER', 'a read-only key cannot delete participants');
    const row = participant((req.params as { participantId: string }).participantId);
    db.prepare('DELETE FROM dr_participants WHERE id = ?').run(row.id);
    ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'dr.participant.delete', target: `dr_participants:${row.id}`, oldValue: out(row), result: 'ok' });
    // the document: 200 with no content
    return reply.code(200).send();
  });
}
