/**
 * The OpenADR VTN's HTTP helpers: who the client is (a VEN, the operator's business logic, or an operator's
 * session acting as business logic), problem+json answers, paging, JSON bodies and the role checks the
 * specification's scopes stand for (write_programs/write_events: business logic; write_reports: VENs;
 * write_vens/write_subscriptions: both, a VEN on its own objects).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/store';
import type { EventRow } from './events';
import type { PartnerRow, ProgramRow } from './openadr-wire';
import { Problem } from './problem';
import type { DemandResponse } from './service';
import type { RuntimeContext } from '../feature';
import { canSee, enrolled, visibleEvents } from './visibility';

export const OPENADR_BASE = '/api/openadr/3';

/** A client of the VTN: a partner (VEN or business logic) or an operator's session (business logic). */
export interface Client {
  partner: PartnerRow | null;
  bl: boolean;
  write: boolean;
}

export const bad = (field: string, detail: string) => new Problem(400, 'Bad Request', `${field}: ${detail}`, { [field]: [detail] });
export const forbidden = (detail: string) => new Problem(403, 'Forbidden', detail);
export const notFound = (what: string) => new Problem(404, 'Not Found', `no such ${what}`);
export const conflict = (detail: string) => new Problem(409, 'Conflict', detail);

export const origin = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? '127.0.0.1'}`;

export function sendProblem(reply: FastifyReply, req: FastifyRequest, p: { status: number; title: string; detail: string; errors?: Record<string, string[]> }) {
  return reply
    .code(p.status)
    .type('application/problem+json')
    .send({ type: `https://switchyard.local/problems/${p.status}`, title: p.title, status: p.status, detail: p.detail, instance: `${origin(req)}${req.url.split('?')[0]}`, ...(p.errors ? { errors: p.errors } : {}) });
}

/** Paging as the specification has it: skip >= 0, limit 0..50 (default 50). */
export function page<T>(req: FastifyRequest, rows: T[]): T[] {
  const q = req.query as Record<string, string | undefined>;
  const skip = q.skip === undefined ? 0 : Number(q.skip);
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  if (!Number.isInteger(skip) || skip < 0) throw bad('skip', 'must be a non-negative integer');
  if (!Number.isInteger(limit) || limit < 0 || limit > 50) throw bad('limit', 'must be an integer from 0 to 50');
  return rows.slice(skip, skip + limit);
}

const list = (v: unknown): string[] | null => (v === undefined ? null : ([v].flat() as string[]).flatMap((s) => String(s).split(',')).filter(Boolean));
export const targetsQuery = (req: FastifyRequest): string[] | null => {
  const q = req.query as Record<string, unknown>;
  return list(q.targets) ?? list(q.targetValues);
};

/** The request's JSON object body (415 for another media type, 400 for anything but an object). */
export function json(req: FastifyRequest): Record<string, unknown> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new Problem(415, 'Unsupported Media Type', 'send application/json');
  const b = req.body;
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw bad('body', 'must be a JSON object');
  return b as Record<string, unknown>;
}

export const needWrite = (c: Client) => {
  if (!c.write) throw forbidden('this client may only read');
};
export const needBl = (c: Client, what: string) => {
  if (!c.bl) throw forbidden(`only the VTN operator (business logic) writes ${what}`);
  needWrite(c);
};
export const needPartner = (c: Client): PartnerRow => {
  if (!c.partner) throw forbidden('use a client credential (POST /auth/token) for this operation');
  return c.partner;
};
export const viewer = (c: Client) => (c.bl ? null : c.partner!.id);

export const optionalString = (b: Record<string, unknown>, field: string, max = 128) => {
  const v = b[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !v || v.length > max) throw bad(field, `must be a string of 1 to ${max} characters`);
  return v;
};
export const optionalList = (b: Record<string, unknown>, field: string, item: (x: unknown) => boolean, what: string) => {
  const v = b[field];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every(item)) throw bad(field, `must be a list of ${what}`);
  return v;
};
export const isValuesMap = (x: unknown) => Boolean(x) && typeof x === 'object' && typeof (x as { type?: unknown }).type === 'string' && Array.isArray((x as { values?: unknown }).values);

/** What the VTN's route files share: the runtime, the model and the client's view of it. */
export interface Vtn {
  ctx: RuntimeContext;
  db: Db;
  dr: DemandResponse;
  route(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, fn: (req: FastifyRequest, c: Client, reply: FastifyReply) => unknown, auth?: boolean): void;
  partnerById(id: number): PartnerRow;
  programs(c: Client): ProgramRow[];
  programByUuid(c: Client, uuid: string): ProgramRow | undefined;
  events(c: Client): EventRow[];
  eventByUuid(c: Client, uuid: string): EventRow | undefined;
}

export function vtnModel(db: Db) {
  const programs = (c: Client): ProgramRow[] => {
    const all = db.prepare('SELECT * FROM dr_programs ORDER BY id').all() as ProgramRow[];
    return c.bl ? all : all.filter((p) => enrolled(db, c.partner!.id, p.id));
  };
  return {
    partnerById: (id: number) => db.prepare('SELECT * FROM dr_partners WHERE id = ?').get(id) as PartnerRow,
    programs,
    programByUuid: (c: Client, uuid: string) => programs(c).find((p) => p.uuid === uuid),
    events: (c: Client): EventRow[] => (c.bl ? (db.prepare("SELECT * FROM dr_events WHERE status != 'draft' ORDER BY created_at DESC, id DESC").all() as EventRow[]) : visibleEvents(db, c.partner!.id)),
    eventByUuid: (c: Client, uuid: string) => {
      const e = db.prepare("SELECT * FROM dr_events WHERE uuid = ? AND status != 'draft'").get(uuid) as EventRow | undefined;
      return e && (c.bl || canSee(db, c.partner!.id, e)) ? e : undefined;
    },
  };
}
