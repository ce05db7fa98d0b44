/**
 * OpenADR subscriptions (write_subscriptions: VENs and business logic, each on its own) and reports (write_reports:
 * VENs only, on events they can see, each on its own reports; the business logic reads all). Notifications of
 * these objects go to their owner and the business logic.
 */
import { randomUUID } from 'node:crypto';
import { newSecret } from '../auth/passwords';
import { reportChange, snapshot, subscriptionChange } from './changes';
import { OBJECT_TYPES } from './notify';
import { bad, type Client, forbidden, json, needPartner, needWrite, notFound, page, type Vtn } from './openadr-http';
import { type OpenAdrSubscription, reportOut, subscriptionOut } from './openadr-wire';
import { isWebhookUrl } from './webhooks';

const now = () => new Date().toISOString();
const OPERATIONS = ['READ', 'CREATE', 'UPDATE', 'DELETE'];

interface SubRow {
  id: number;
  uuid: string;
  partner_id: number;
  created_at: string;
  openadr: string;
  webhook_secret: string;
}
interface ReportRow {
  id: number;
  uuid: string;
  partner_id: number;
  event_id: number | null;
  name: string | null;
  payloads: string;
  openadr: string | null;
  created_at: string;
  modified_at: string;
  event_uuid: string;
}

export function registerSubscriptions(v: Vtn): void {
  const { db, dr, route } = v;
  const subscriptionInput = (c: Client, b: Record<string, unknown>): OpenAdrSubscription => {
    if (typeof b.clientName !== 'string' || !b.clientName || b.clientName.length > 128) throw bad('clientName', 'is required (1 to 128 characters)');
    if (b.programID !== undefined && b.programID !== null && (typeof b.programID !== 'string' || !v.programByUuid(c, b.programID))) throw bad('programID', 'names no program of yours');
    const ops = b.objectOperations;
    if (!Array.isArray(ops) || ops.length === 0) throw bad('objectOperations', 'must be a non-empty list of {objects, operations, callbackUrl}');
    const out = ops.map((o: Record<string, unknown>, i) => {
      if (!o || typeof o !== 'object') throw bad(`objectOperations[${i}]`, 'must be an object');
      if (!Array.isArray(o.objects) || !o.objects.length || !o.objects.every((x) => (OBJECT_TYPES as readonly string[]).includes(x as string))) throw bad(`objectOperations[${i}].objects`, `must list some of ${OBJECT_TYPES.join(', ')}`);
      if (!Array.isArray(o.operations) || !o.operations.length || !o.operations.every((x) => OPERATIONS.includes(x as string))) throw bad(`objectOperations[${i}].operations`, `must list some of ${OPERATIONS.join(', ')}`);
      if (!isWebhookUrl(o.callbackUrl)) throw bad(`objectOperations[${i}].callbackUrl`, 'must be an http(s) URL');
      if (o.bearerToken !== undefined && o.bearerToken !== null && typeof o.bearerToken !== 'string') throw bad(`objectOperations[${i}].bearerToken`, 'must be a string');
      return { objects: o.objects as string[], operations: o.operations as string[], callbackUrl: o.callbackUrl as string, ...(typeof o.bearerToken === 'string' ? { bearerToken: o.bearerToken } : {}) };
    });
    if (b.targets !== undefined && b.targets !== null && (!Array.isArray(b.targets) || !b.targets.every((x) => typeof x === 'string'))) throw bad('targets', 'must be a list of strings');
    return { clientName: b.clientName, ...(b.programID ? { programID: b.programID as string } : {}), objectOperations: out, ...(Array.isArray(b.targets) ? { targets: b.targets as string[] } : {}) };
  };
  const subRows = (c: Client) => (db.prepare('SELECT * FROM dr_subscriptions WHERE openadr IS NOT NULL ORDER BY id').all() as SubRow[]).filter((s) => c.bl || s.partner_id === c.partner?.id);
  const subOf = (c: Client, id: string) => {
    const s = subRows(c).find((x) => x.uuid === id);
    if (!s) throw notFound('subscription');
    return s;
  };
  route('GET', '/subscriptions', (req, c) => {
    const q = req.query as Record<string, string | undefined>;
    let rows = subRows(c).map((s) => subscriptionOut(s, v.partnerById(s.partner_id)));
    if (q.programID) rows = rows.filter((s) => s.programID === q.programID);
    if (q.clientName) rows = rows.filter((s) => s.clientName === q.clientName);
    return page(req, rows);
  });
  route('GET', '/subscriptions/:subscriptionID', (req, c) => {
    const s = subOf(c, (req.params as { subscriptionID: string }).subscriptionID);
    return subscriptionOut(s, v.partnerById(s.partner_id));
  });
  route('POST', '/subscriptions', (req, c, reply) => {
    const b = json(req);
    const p = needPartner(c);
    const s = subscriptionInput(c, b);
    const uuid = randomUUID();
    db.prepare("INSERT INTO dr_subscriptions (uuid, partner_id, webhook_url, webhook_secret, event_payload_types, operation_types, created_at, openadr) VALUES (?, ?, ?, ?, '[]', '[]', ?, ?)").run(uuid, p.id, s.objectOperations[0].callbackUrl, newSecret(), now(), JSON.stringify(s));
    const row = subOf(c, uuid);
    dr.notify(subscriptionChange(db, row, 'CREATE'));
    reply.code(201);
    return subscriptionOut(row, p);
  });
  route('PUT', '/subscriptions/:subscriptionID', (req, c) => {
    const b = json(req);
    const existing = subOf(c, (req.params as { subscriptionID: string }).subscriptionID);
    needWrite(c);
    const s = subscriptionInput(c, b);
    db.prepare('UPDATE dr_subscriptions SET webhook_url = ?, openadr = ? WHERE id = ?').run(s.objectOperations[0].callbackUrl, JSON.stringify(s), existing.id);
    const row = subOf(c, existing.uuid);
    dr.notify(subscriptionChange(db, row, 'UPDATE'));
    return subscriptionOut(row, v.partnerById(existing.partner_id));
  });
  route('DELETE', '/subscriptions/:subscriptionID', (req, c) => {
    const s = subOf(c, (req.params as { subscriptionID: string }).subscriptionID);
    needWrite(c);
    const out = subscriptionOut(s, v.partnerById(s.partner_id));
    const change = snapshot(db, subscriptionChange(db, s, 'DELETE'));
    db.prepare('DELETE FROM dr_subscriptions WHERE id = ?').run(s.id);
    dr.notify(change);
    return out;
  });

  // reports: a VEN reports on an event it can see; the operator's console lists them (/api/dr/reports)
  const reportRows = (c: Client) =>
    (db.prepare('SELECT r.*, e.uuid AS event_uuid FROM dr_reports r JOIN dr_events e ON e.id = r.event_id ORDER BY r.id DESC').all() as ReportRow[]).filter((r) => c.bl || r.partner_id === c.partner?.id);
  const reportView = (r: ReportRow) => reportOut(r, r.event_uuid, v.partnerById(r.partner_id));
  const reportOf = (c: Client, id: string) => {
    const r = reportRows(c).find((x) => x.uuid === id);
    if (!r) throw notFound('report');
    return r;
  };
  const reportInput = (c: Client, b: Record<string, unknown>) => {
    if (typeof b.eventID !== 'string' || !b.eventID) throw bad('eventID', 'is required');
    const e = v.eventByUuid(c, b.eventID);
    if (!e) throw bad('eventID', 'names no event of yours');
    if (typeof b.clientName !== 'string' || !b.clientName || b.clientName.length > 128) throw bad('clientName', 'is required (1 to 128 characters)');
    if (b.reportName !== undefined && b.reportName !== null && typeof b.reportName !== 'string') throw bad('reportName', 'must be a string');
    const res = b.resources;
    if (!Array.isArray(res) || res.length === 0) throw bad('resources', 'must be a non-empty list of {resourceName, intervals}');
    res.forEach((r: Record<string, unknown>, i) => {
      if (!r || typeof r !== 'object' || typeof r.resourceName !== 'string' || !r.resourceName) throw bad(`resources[${i}].resourceName`, 'is required');
      if (!Array.isArray(r.intervals) || r.intervals.length === 0) throw bad(`resources[${i}].intervals`, 'must be a non-empty list of intervals');
      r.intervals.forEach((iv: Record<string, unknown>, j) => {
        if (!iv || !Number.isInteger(iv.id)) throw bad(`resources[${i}].intervals[${j}].id`, 'must be an integer');
        if (!Array.isArray(iv.payloads) || !iv.payloads.length || !iv.payloads.every((x: Record<string, unknown>) => x && typeof x.type === 'string' && x.type && Array.isArray(x.values))) {
          throw bad(`resources[${i}].intervals[${j}].payloads`, 'must be a non-empty list of {type, values}');
        }
      });
    });
    const body = { clientName: b.clientName, ...(typeof b.reportName === 'string' ? { reportName: b.reportName } : {}), ...(Array.isArray(b.payloadDescriptors) ? { payloadDescriptors: b.payloadDescriptors } : {}), resources: res };
    return { event: e, name: (b.reportName as string | undefined) ?? b.clientName, resources: res, body };
  };
  const needVen = (c: Client) => {
    const p = needPartner(c);
    if (p.role !== 'ven') throw forbidden('only VENs write reports');
    return p;
  };
  route('GET', '/reports', (req, c) => {
    const q = req.query as Record<string, string | undefined>;
    let rows = reportRows(c).map(reportView);
    if (q.eventID) rows = rows.filter((r) => r.eventID === q.eventID);
    if (q.clientName) rows = rows.filter((r) => (r as { clientName?: string }).clientName === q.clientName);
    if (q.programID) {
      const ids = new Set((db.prepare('SELECT e.uuid FROM dr_events e JOIN dr_programs p ON p.id = e.program_id WHERE p.uuid = ?').all(q.programID) as { uuid: string }[]).map((x) => x.uuid));
      rows = rows.filter((r) => ids.has(r.eventID as string));
    }
    return page(req, rows);
  });
  route('GET', '/reports/:reportID', (req, c) => reportView(reportOf(c, (req.params as { reportID: string }).reportID)));
  route('POST', '/reports', (req, c, reply) => {
    const b = json(req);
    const p = needVen(c);
    const r = reportInput(c, b);
    const uuid = randomUUID();
    db.prepare('INSERT INTO dr_reports (uuid, partner_id, event_id, name, payloads, created_at, modified_at, openadr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(uuid, p.id, r.event.id, r.name, JSON.stringify(r.resources), now(), now(), JSON.stringify(r.body));
    const row = reportOf(c, uuid);
    dr.notify(reportChange(db, row, 'CREATE'));
    reply.code(201);
    return reportView(row);
  });
  route('PUT', '/reports/:reportID', (req, c) => {
    const b = json(req);
    needVen(c);
    const existing = reportOf(c, (req.params as { reportID: string }).reportID);
    const r = reportInput(c, b);
    db.prepare('UPDATE dr_reports SET event_id = ?, name = ?, payloads = ?, openadr = ?, modified_at = ? WHERE id = ?').run(r.event.id, r.name, JSON.stringify(r.resources), JSON.stringify(r.body), now(), existing.id);
    const row = reportOf(c, existing.uuid);
    dr.notify(reportChange(db, row, 'UPDATE'));
    return reportView(row);
  });
  route('DELETE', '/reports/:reportID', (req, c) => {
    needVen(c);
    const r = reportOf(c, (req.params as { reportID: string }).reportID);
    const out = reportView(r);
    const change = snapshot(db, reportChange(db, r, 'DELETE'));
    db.prepare('DELETE FROM dr_reports WHERE id = ?').run(r.id);
    dr.notify(change);
    return out;
  });
}
