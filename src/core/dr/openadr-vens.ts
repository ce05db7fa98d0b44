/**
 * OpenADR VENs and their resources (write_vens). A VEN is a partner: it registers itself (VEN_VEN_REQUEST), or the
 * business logic registers a partner's client (BL_VEN_REQUEST with its clientID). A VEN reads and writes only its
 * own VEN and resources; the business logic all of them. The same resource name under two VENs is two resources.
 * Deleting a VEN unregisters it (its credentials stay with the partner) and deletes its resources.
 */
import { randomUUID } from 'node:crypto';
import { resourceChange, snapshot, venChange } from './changes';
import { bad, type Client, conflict, isValuesMap, json, needWrite, notFound, optionalList, page, type Vtn } from './openadr-http';
import { type PartnerRow, type ResourceRowFull, resourceOut, venOut } from './openadr-wire';

const now = () => new Date().toISOString();

export function registerVens(v: Vtn): void {
  const { db, dr, route } = v;
  const venName = (b: Record<string, unknown>) => {
    if (typeof b.venName !== 'string' || !b.venName.trim() || b.venName.length > 128) throw bad('venName', 'is required (1 to 128 characters)');
    return b.venName.trim();
  };
  const attributes = (b: Record<string, unknown>) => optionalList(b, 'attributes', isValuesMap, '{"type", "values"}');
  const nameTaken = (name: string, except: number) => Boolean(db.prepare('SELECT 1 FROM dr_partners WHERE ven_name = ? AND id != ?').get(name, except));

  route('GET', '/vens', (req, c) => {
    const q = req.query as Record<string, string | undefined>;
    let rows = (db.prepare("SELECT * FROM dr_partners WHERE ven_name IS NOT NULL AND role = 'ven' ORDER BY id").all() as PartnerRow[]).filter((p) => c.bl || p.id === c.partner?.id);
    if (q.venName) rows = rows.filter((p) => p.ven_name === q.venName);
    return page(req, rows.map(venOut));
  });
  const venOf = (c: Client, id: string) => {
    const p = db.prepare('SELECT * FROM dr_partners WHERE uuid = ? AND ven_name IS NOT NULL').get(id) as PartnerRow | undefined;
    if (!p || (!c.bl && p.id !== c.partner?.id)) throw notFound('ven');
    return p;
  };
  route('GET', '/vens/:venID', (req, c) => venOut(venOf(c, (req.params as { venID: string }).venID)));
  route('POST', '/vens', (req, c, reply) => {
    const b = json(req);
    needWrite(c);
    let p: PartnerRow;
    if (c.bl) {
      // the business logic registers a partner's client as a VEN
      if (typeof b.clientID !== 'string' || !b.clientID) throw bad('clientID', 'names the client (a partner\'s client_id) to register as a VEN');
      const target = db.prepare("SELECT * FROM dr_partners WHERE client_id = ? AND role = 'ven'").get(b.clientID) as PartnerRow | undefined;
      if (!target) throw bad('clientID', 'names no VEN client');
      p = target;
    } else {
      p = c.partner!;
      if (p.role !== 'ven') throw bad('objectType', 'only a VEN client registers itself as a VEN');
    }
    const name = venName(b);
    const attrs = attributes(b);
    if (p.ven_name) throw conflict('this client is registered as a VEN already');
    if (nameTaken(name, p.id)) throw conflict('venName is in use');
    db.prepare('UPDATE dr_partners SET ven_name = ?, ven_attributes = ?, ven_registered_at = ? WHERE id = ?').run(name, attrs ? JSON.stringify(attrs) : null, now(), p.id);
    const row = v.partnerById(p.id);
    dr.notify(venChange(db, row, 'CREATE'));
    reply.code(201);
    return venOut(row);
  });
  route('PUT', '/vens/:venID', (req, c) => {
    const b = json(req);
    const p = venOf(c, (req.params as { venID: string }).venID);
    needWrite(c);
    const name = venName(b);
    const attrs = attributes(b);
    if (nameTaken(name, p.id)) throw conflict('venName is in use');
    db.prepare('UPDATE dr_partners SET ven_name = ?, ven_attributes = ? WHERE id = ?').run(name, attrs ? JSON.stringify(attrs) : null, p.id);
    const row = v.partnerById(p.id);
    dr.notify(venChange(db, row, 'UPDATE'));
    return venOut(row);
  });
  route('DELETE', '/vens/:venID', (req, c) => {
    const p = venOf(c, (req.params as { venID: string }).venID);
    needWrite(c);
    const out = venOut(p);
    const resources = db.prepare('SELECT * FROM dr_resources WHERE partner_id = ?').all(p.id) as ResourceRowFull[];
    const changes = [snapshot(db, venChange(db, p, 'DELETE')), ...resources.map((r) => snapshot(db, resourceChange(db, r, 'DELETE')))];
    v.ctx.store.tx(() => {
      db.prepare('DELETE FROM dr_resources WHERE partner_id = ?').run(p.id);
      db.prepare('UPDATE dr_partners SET ven_name = NULL, ven_attributes = NULL, ven_registered_at = NULL WHERE id = ?').run(p.id);
    });
    for (const ch of changes) dr.notify(ch);
    return out;
  });

  const resourceRows = (c: Client) => (db.prepare('SELECT * FROM dr_resources WHERE partner_id IS NOT NULL ORDER BY id').all() as ResourceRowFull[]).filter((r) => c.bl || r.partner_id === c.partner?.id);
  route('GET', '/resources', (req, c) => {
    const q = req.query as Record<string, string | undefined>;
    let rows = resourceRows(c).map((r) => resourceOut(r, v.partnerById(r.partner_id!)));
    if (q.resourceName) rows = rows.filter((r) => r.resourceName === q.resourceName);
    if (q.venID) rows = rows.filter((r) => r.venID === q.venID);
    return page(req, rows);
  });
  const resourceOf = (c: Client, id: string) => {
    const r = resourceRows(c).find((x) => x.uuid === id);
    if (!r) throw notFound('resource');
    return r;
  };
  const resourceBody = (c: Client, b: Record<string, unknown>) => {
    if (typeof b.resourceName !== 'string' || !b.resourceName.trim() || b.resourceName.length > 128) throw bad('resourceName', 'is required (1 to 128 characters)');
    const owner = typeof b.venID === 'string' ? (db.prepare('SELECT * FROM dr_partners WHERE uuid = ? AND ven_name IS NOT NULL').get(b.venID) as PartnerRow | undefined) : undefined;
    if (!owner || (!c.bl && owner.id !== c.partner?.id)) throw bad('venID', c.bl ? 'must name a registered VEN' : 'must be your own registered VEN (POST /vens first)');
    const attrs = attributes(b);
    return { name: b.resourceName.trim(), owner, metadata: JSON.stringify(attrs ? { attributes: attrs } : {}) };
  };
  route('GET', '/resources/:resourceID', (req, c) => {
    const r = resourceOf(c, (req.params as { resourceID: string }).resourceID);
    return resourceOut(r, v.partnerById(r.partner_id!));
  });
  route('POST', '/resources', (req, c, reply) => {
    const b = json(req);
    needWrite(c);
    if (!c.bl && !c.partner) throw bad('venID', 'must be your own registered VEN');
    const r = resourceBody(c, b);
    if (db.prepare('SELECT 1 FROM dr_resources WHERE partner_id = ? AND resource_id = ?').get(r.owner.id, r.name)) throw conflict(`resource ${r.name} exists already`);
    const uuid = randomUUID();
    db.prepare('INSERT INTO dr_resources (uuid, partner_id, resource_id, metadata, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)').run(uuid, r.owner.id, r.name, r.metadata, now(), now());
    const row = resourceOf(c, uuid);
    dr.notify(resourceChange(db, row, 'CREATE'));
    reply.code(201);
    return resourceOut(row, r.owner);
  });
  route('PUT', '/resources/:resourceID', (req, c) => {
    const b = json(req);
    const existing = resourceOf(c, (req.params as { resourceID: string }).resourceID);
    needWrite(c);
    const r = resourceBody(c, b);
    if (r.owner.id !== existing.partner_id) throw bad('venID', 'a resource stays with its VEN');
    if (db.prepare('SELECT 1 FROM dr_resources WHERE partner_id = ? AND resource_id = ? AND id != ?').get(r.owner.id, r.name, existing.id)) throw conflict(`resource ${r.name} exists already`);
    // the point mapping and signal settings the operator gave the resource (metadata) are kept; attributes replaced
    const meta = { ...(JSON.parse(existing.metadata) as Record<string, unknown>), ...(JSON.parse(r.metadata) as Record<string, unknown>) };
    if (!JSON.parse(r.metadata).attributes) delete meta.attributes;
    db.prepare('UPDATE dr_resources SET resource_id = ?, metadata = ?, modified_at = ? WHERE id = ?').run(r.name, JSON.stringify(meta), now(), existing.id);
    const row = resourceOf(c, existing.uuid);
    dr.notify(resourceChange(db, row, 'UPDATE'));
    return resourceOut(row, r.owner);
  });
  route('DELETE', '/resources/:resourceID', (req, c) => {
    const r = resourceOf(c, (req.params as { resourceID: string }).resourceID);
    needWrite(c);
    const out = resourceOut(r, v.partnerById(r.partner_id!));
    const change = snapshot(db, resourceChange(db, r, 'DELETE'));
    db.prepare('DELETE FROM dr_resources WHERE id = ?').run(r.id);
    dr.notify(change);
    return out;
  });
}
