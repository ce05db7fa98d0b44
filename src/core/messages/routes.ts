/**
 * Web messages and notifications: each user reads and answers their own (MyEMS: webmessages,
 * webmessagesnew, webmessagesbatch, notifications).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../api/errors';
import { dataOf, idParam, principalOf } from '../api/server';
import type { AuditLog } from '../audit/audit';
import type { Store } from '../store/store';

type Row = Record<string, unknown>;

const range = (q: Row, where: string[], args: unknown[]) => {
  for (const [k, op] of [
    ['startdatetime', '>='],
    ['enddatetime', '<='],
  ] as const) {
    const v = q[k];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw badRequest(`API.INVALID_${k.toUpperCase()}`, `${k} must be a date and time like 2024-01-31T00:00:00`, k);
    where.push(`created_datetime ${op} ?`);
    args.push(v.replace(' ', 'T').replace(/Z$/, '').slice(0, 19));
  }
};

/** "123,456" or [123,456] -> [123,456] */
export function parseIds(v: unknown): number[] {
  const parts = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : typeof v === 'number' ? [v] : null;
  if (!parts || parts.length === 0) throw badRequest('API.INVALID_IDS', 'ids must be a list of ids like "123,456" or [123,456]', 'ids');
  const ids = parts.map((p) => (typeof p === 'string' ? p.trim() : p));
  if (!ids.every((x) => (typeof x === 'number' || (typeof x === 'string' && /^\d{1,15}$/.test(x))) && Number(x) > 0 && Number.isSafeInteger(Number(x)))) {
    throw badRequest('API.INVALID_IDS', 'ids must be positive integer ids', 'ids');
  }
  return [...new Set(ids.map(Number))];
}

export function registerMessageRoutes(app: FastifyInstance, deps: { store: Store; audit: AuditLog }): void {
  const { store, audit } = deps;
  const db = store.db;
  const webJson = (r: Row) => ({ ...r, user_display_name: (db.prepare('SELECT display_name FROM users WHERE id = ?').get(r.user_id) as Row | undefined)?.display_name ?? null });
  const ownWeb = (req: FastifyRequest, id: number) => {
    const p = principalOf(req);
    const r = db.prepare('SELECT * FROM web_messages WHERE id = ? AND user_id = ?').get(id, p.userId) as Row | undefined;
    if (!r) throw notFound('API.WEB_MESSAGE_NOT_FOUND', `web message ${id} does not exist`);
    return r;
  };
  const statusUpdate = (body: unknown): { status: 'read' | 'acknowledged'; reply: string | null } => {
    const d = dataOf(body) as Row | undefined;
    if (!d || typeof d !== 'object') throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"status":"read"}} or {"data":{"status":"acknowledged","reply":"..."}}', 'data');
    if (d.status !== 'read' && d.status !== 'acknowledged') throw badRequest('API.INVALID_STATUS', "status must be 'read' or 'acknowledged'", 'status');
    const reply = typeof d.reply === 'string' ? d.reply.trim() : '';
    if (d.status === 'acknowledged' && !reply) throw badRequest('API.INVALID_REPLY', 'a reply is required to acknowledge a web message', 'reply');
    if (reply.length > 10_000) throw badRequest('API.INVALID_REPLY', 'reply must be at most 10000 characters', 'reply');
    return { status: d.status, reply: d.status === 'acknowledged' ? reply : null };
  };
  const applyStatus = (id: number, u: { status: string; reply: string | null }) => {
    if (u.status === 'acknowledged') db.prepare("UPDATE web_messages SET status = 'acknowledged', reply = ? WHERE id = ?").run(u.reply, id);
    else db.prepare("UPDATE web_messages SET status = 'read' WHERE id = ? AND status = 'new'").run(id);
  };

  app.get('/api/webmessages', async (req) => {
    const p = principalOf(req);
    const where = ['user_id = ?'];
    const args: unknown[] = [p.userId];
    range(req.query as Row, where, args);
    return (db.prepare(`SELECT * FROM web_messages WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT 10000`).all(...args) as Row[]).map(webJson);
  });
  app.get('/api/webmessagesnew', async (req) => {
    const p = principalOf(req);
    return (db.prepare("SELECT * FROM web_messages WHERE user_id = ? AND status = 'new' ORDER BY id DESC LIMIT 10000").all(p.userId) as Row[]).map(webJson);
  });
  app.get('/api/webmessages/:id', async (req) => webJson(ownWeb(req, idParam((req.params as Row).id))));
  app.put('/api/webmessages/:id', { config: { role: 'operate' } }, async (req) => {
    const p = principalOf(req);
    const id = idParam((req.params as Row).id);
    const before = ownWeb(req, id);
    const u = statusUpdate(req.body);
    applyStatus(id, u);
    if (u.status === 'acknowledged') audit.record({ userId: p.userId, userName: p.userName, action: 'message.ack', target: `webmessage:${id}`, oldValue: before.status, newValue: u, result: 'ok' });
    return webJson(ownWeb(req, id));
  });
  app.put('/api/webmessagesnew', { config: { role: 'operate' } }, async (req) => {
    const p = principalOf(req);
    const u = statusUpdate(req.body);
    const ids = (db.prepare("SELECT id FROM web_messages WHERE user_id = ? AND status = 'new'").all(p.userId) as { id: number }[]).map((r) => r.id);
    store.tx(() => ids.forEach((id) => applyStatus(id, u)));
    if (u.status === 'acknowledged' && ids.length) audit.record({ userId: p.userId, userName: p.userName, action: 'message.ack', target: `webmessages:${ids.join(',')}`, newValue: u, result: 'ok' });
    return { updated: ids.length };
  });
  // MyEMS "POST Create New Web Message" (an administrator posts a message to a user, or to every user)
  app.post('/api/webmessagesnew', async (req, reply) => {
    const p = principalOf(req);
    const d = dataOf(req.body) as Row | undefined;
    if (!d || typeof d !== 'object') throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"user_id":1,"subject":"...","message":"..."}}', 'data');
    const subject = typeof d.subject === 'string' ? d.subject.trim() : '';
    const message = typeof d.message === 'string' ? d.message : '';
    if (!subject || subject.length > 255) throw badRequest('API.INVALID_SUBJECT', 'subject must be a text of 1 to 255 characters', 'subject');
    if (!message.trim() || message.length > 100_000) throw badRequest('API.INVALID_MESSAGE', 'message must be a non-empty text', 'message');
    let users: number[];
    if (d.user_id === undefined || d.user_id === null) users = (db.prepare('SELECT id FROM users').all() as { id: number }[]).map((r) => r.id);
    else {
      const uid = Number(d.user_id);
      if (!Number.isSafeInteger(uid) || !db.prepare('SELECT 1 FROM users WHERE id = ?').get(uid)) throw notFound('API.USER_NOT_FOUND', `user ${String(d.user_id)} does not exist`);
      users = [uid];
    }
    const now = new Date().toISOString().slice(0, 19);
    const ids = store.tx(() => users.map((u) => Number(db.prepare("INSERT INTO web_messages (user_id, subject, message, created_datetime, status) VALUES (?,?,?,?,'new')").run(u, subject, message, now).lastInsertRowid)));
    audit.record({ userId: p.userId, userName: p.userName, action: 'message.create', target: `webmessages:${ids.join(',')}`, newValue: { subject }, result: 'ok' });
    reply.code(201);
    return { ids };
  });
  const batchIds = (req: FastifyRequest) => {
    const b = req.body as Row | undefined;
    const raw = b && typeof b === 'object' ? (b.ids ?? (dataOf(b) as Row | undefined)?.ids) : undefined;
    return parseIds(raw);
  };
  app.put('/api/webmessagesbatch', { config: { role: 'operate' } }, async (req) => {
    const p = principalOf(req);
    const ids = batchIds(req);
    const d = dataOf(req.body) as Row | undefined;
    const u = d && typeof d === 'object' && d.status ? statusUpdate(req.body) : { status: 'read' as const, reply: null };
    let updated = 0;
    store.tx(() => {
      for (const id of ids) {
        if (!db.prepare('SELECT 1 FROM web_messages WHERE id = ? AND user_id = ?').get(id, p.userId)) continue;
        applyStatus(id, u);
        updated++;
      }
    });
    return { updated };
  });
  app.delete('/api/webmessagesbatch', { config: { role: 'operate' } }, async (req, reply) => {
    const p = principalOf(req);
    const ids = batchIds(req);
    store.tx(() => ids.forEach((id) => db.prepare('DELETE FROM web_messages WHERE id = ? AND user_id = ?').run(id, p.userId)));
    return reply.code(204).send();
  });
  app.delete('/api/webmessages/:id', { config: { role: 'operate' } }, async (req, reply) => {
    const id = idParam((req.params as Row).id);
    ownWeb(req, id);
    db.prepare('DELETE FROM web_messages WHERE id = ?').run(id);
    return reply.code(204).send();
  });

  // ------------------------------------------------------------ notifications
  const ownNote = (req: FastifyRequest, id: number) => {
    const p = principalOf(req);
    const r = db.prepare('SELECT * FROM notifications WHERE id = ? AND user_id = ?').get(id, p.userId) as Row | undefined;
    if (!r) throw notFound('API.NOTIFICATION_NOT_FOUND', `notification ${id} does not exist`);
    return r;
  };
  app.get('/api/notifications', async (req) => {
    const p = principalOf(req);
    const q = req.query as Row;
    const where = ['user_id = ?'];
    const args: unknown[] = [p.userId];
    range(q, where, args);
    if (q.status !== undefined && q.status !== '') {
      if (!['unread', 'read', 'archived'].includes(String(q.status))) throw badRequest('API.INVALID_STATUS', "status must be 'unread', 'read' or 'archived'", 'status');
      where.push('status = ?');
      args.push(q.status);
    }
    return db.prepare(`SELECT * FROM notifications WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT 10000`).all(...args);
  });
  app.get('/api/notifications/:id', async (req) => ownNote(req, idParam((req.params as Row).id)));
  app.put('/api/notifications/:id', { config: { role: 'operate' } }, async (req) => {
    const id = idParam((req.params as Row).id);
    ownNote(req, id);
    const d = dataOf(req.body) as Row | undefined;
    if (!d || !['unread', 'read', 'archived'].includes(String(d.status))) throw badRequest('API.INVALID_STATUS', "status must be 'unread', 'read' or 'archived'", 'status');
    db.prepare('UPDATE notifications SET status = ? WHERE id = ?').run(d.status, id);
    return ownNote(req, id);
  });
  app.delete('/api/notifications/:id', { config: { role: 'operate' } }, async (req, reply) => {
    const id = idParam((req.params as Row).id);
    ownNote(req, id);
    db.prepare('DELETE FROM notifications WHERE id = ?').run(id);
    return reply.code(204).send();
  });
}
