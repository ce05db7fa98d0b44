/**
 * OpenADR programs and events: everyone reads what they may see (visibility.ts); only the VTN operator's business
 * logic writes (write_programs, write_events). Every write notifies the subscribers allowed to see the object.
 */
import { randomUUID } from 'node:crypto';
import { endOf, parseEvent, saveEvent } from './events';
import { programChange, snapshot } from './changes';
import { conflict, json, needBl, notFound, page, targetsQuery, type Vtn, viewer, bad } from './openadr-http';
import { eventInput, programInput } from './openadr-input';
import { eventOut, type ProgramRow, programOut } from './openadr-wire';

const now = () => new Date().toISOString();

export function registerPrograms(v: Vtn): void {
  const { db, dr, route } = v;
  const programRow = (id: number | bigint) => db.prepare('SELECT * FROM dr_programs WHERE id = ?').get(id) as ProgramRow;
  const programOf = (c: Parameters<Vtn['programs']>[0], uuid: string) => {
    const p = v.programByUuid(c, uuid);
    if (!p) throw notFound('program');
    return p;
  };

  // the targets filter keeps the programs naming one of them and those naming none (open to every enrolled VEN)
  route('GET', '/programs', (req, c) => {
    const t = targetsQuery(req);
    const rows = v.programs(c).map(programOut);
    return page(req, t ? rows.filter((p) => {
      const targets = (p as { targets?: unknown }).targets;
      return !Array.isArray(targets) || !targets.length || (targets as string[]).some((x) => t.includes(x));
    }) : rows);
  });
  route('GET', '/programs/:programID', (req, c) => programOut(programOf(c, (req.params as { programID: string }).programID)));
  route('POST', '/programs', (req, c, reply) => {
    const b = json(req);
    needBl(c, 'programs');
    const p = programInput(b);
    if (db.prepare('SELECT 1 FROM dr_programs WHERE name = ?').get(p.name)) throw conflict(`program ${p.name} exists already`);
    const id = db.prepare('INSERT INTO dr_programs (uuid, name, description, openadr, created_at, modified_at) VALUES (?, ?, NULL, ?, ?, ?)').run(randomUUID().replace(/-/g, ''), p.name, JSON.stringify(p.extra), now(), now()).lastInsertRowid;
    const row = programRow(id);
    dr.notify(programChange(db, row, 'CREATE'));
    reply.code(201);
    return programOut(row);
  });
  route('PUT', '/programs/:programID', (req, c) => {
    const b = json(req);
    const existing = programOf(c, (req.params as { programID: string }).programID);
    needBl(c, 'programs');
    const p = programInput(b);
    if (db.prepare('SELECT 1 FROM dr_programs WHERE name = ? AND id != ?').get(p.name, existing.id)) throw conflict(`program ${p.name} exists already`);
    db.prepare('UPDATE dr_programs SET name = ?, openadr = ?, modified_at = ? WHERE id = ?').run(p.name, JSON.stringify(p.extra), now(), existing.id);
    const row = programRow(existing.id);
    dr.notify(programChange(db, row, 'UPDATE'));
    return programOut(row);
  });
  route('DELETE', '/programs/:programID', (req, c) => {
    const existing = programOf(c, (req.params as { programID: string }).programID);
    needBl(c, 'programs');
    if (db.prepare("SELECT 1 FROM dr_events WHERE program_id = ? AND status IN ('scheduled', 'active')").get(existing.id)) throw conflict('the program has scheduled or running events: delete or cancel them first');
    const change = snapshot(db, programChange(db, existing, 'DELETE'));
    db.prepare('DELETE FROM dr_programs WHERE id = ?').run(existing.id);
    dr.notify(change);
    return programOut(existing);
  });

  route('GET', '/events', (req, c) => {
    const q = req.query as Record<string, string | undefined>;
    const t = targetsQuery(req);
    if (q.active !== undefined && q.active !== 'true' && q.active !== 'false') throw bad('active', 'must be true or false');
    let rows = v.events(c).map((e) => ({ e, o: eventOut(db, e, viewer(c)) }));
    if (q.programID) rows = rows.filter((r) => r.o.programID === q.programID);
    if (t) rows = rows.filter((r) => r.o.targets.some((x) => t.includes(x)));
    if (q.active !== undefined) rows = rows.filter((r) => (r.e.status === 'active') === (q.active === 'true'));
    return page(req, rows).map((r) => r.o);
  });
  const eventOf = (c: Parameters<Vtn['events']>[0], uuid: string) => {
    const e = v.eventByUuid(c, uuid);
    if (!e) throw notFound('event');
    return e;
  };
  route('GET', '/events/:eventID', (req, c) => eventOut(db, eventOf(c, (req.params as { eventID: string }).eventID), viewer(c)));
  const programFor = (b: Record<string, unknown>) => {
    const program = typeof b.programID === 'string' ? (db.prepare('SELECT id FROM dr_programs WHERE uuid = ?').get(b.programID) as { id: number } | undefined) : undefined;
    if (!program) throw bad('programID', 'must name a program');
    return program.id;
  };
  route('POST', '/events', (req, c, reply) => {
    const b = json(req);
    needBl(c, 'events');
    const input = parseEvent(v.ctx.store, eventInput(db, b, programFor(b)), null);
    const id = v.ctx.store.tx(() => saveEvent(v.ctx.store, input, null));
    const e = dr.event(id);
    dr.announce(e, 'Create');
    void dr.tick();
    reply.code(201);
    return eventOut(db, e, null);
  });
  route('PUT', '/events/:eventID', (req, c) => {
    const b = json(req);
    const existing = eventOf(c, (req.params as { eventID: string }).eventID);
    needBl(c, 'events');
    if (existing.status === 'completed' || existing.status === 'cancelled') throw conflict(`the event is ${existing.status} and cannot change`);
    const input = parseEvent(v.ctx.store, eventInput(db, b, programFor(b)), existing);
    v.ctx.store.tx(() => saveEvent(v.ctx.store, input, existing));
    // the clock decides again: a running event moved to later waits, one that now covers the present runs
    const saved = dr.event(existing.id);
    const t = Date.now();
    const status = t >= Date.parse(input.interval_period.start) && t < endOf(saved) ? 'active' : t >= endOf(saved) ? 'completed' : 'scheduled';
    db.prepare('UPDATE dr_events SET status = ? WHERE id = ?').run(status, existing.id);
    const e = dr.event(existing.id);
    void dr.dispatch.apply();
    dr.announce(e, 'Update');
    return eventOut(db, e, null);
  });
  route('DELETE', '/events/:eventID', (req, c) => {
    const e = eventOf(c, (req.params as { eventID: string }).eventID);
    needBl(c, 'events');
    const out = eventOut(db, e, null);
    db.prepare('DELETE FROM dr_events WHERE id = ?').run(e.id);
    // a running event's requests on the assets are withdrawn at once (the arbiter hands the points on)
    void dr.dispatch.apply();
    dr.announce(e, 'Delete');
    return out;
  });
}
