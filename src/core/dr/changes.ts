/**
 * The change of one OpenADR object, ready for the notifier (notify.ts): its wire form per viewer (openadr-wire.ts),
 * its program and who may see it (visibility.ts). A deleted object is taken as a snapshot before its row goes.
 */
import type { Db } from '../store/store';
import type { EventRow } from './events';
import type { Change, Operation, WireObject } from './notify';
import { eventOut, type PartnerRow, type ProgramRow, programOut, reportOut, type ResourceRowFull, resourceOut, subscriptionOut, venOut } from './openadr-wire';
import { canSee, enrolled } from './visibility';

const partnerById = (db: Db, id: number) => db.prepare('SELECT * FROM dr_partners WHERE id = ?').get(id) as PartnerRow;
const programUuid = (db: Db, id: number | null) => (id === null ? null : ((db.prepare('SELECT uuid FROM dr_programs WHERE id = ?').get(id) as { uuid: string } | undefined)?.uuid ?? null));

/** The same change with who sees it and what each sees fixed now (before a delete removes the rows they come from). */
export function snapshot(db: Db, change: Change): Change {
  const partners = (db.prepare("SELECT id FROM dr_partners WHERE role = 'ven'").all() as { id: number }[]).map((p) => p.id);
  const seen = new Map(partners.filter((p) => change.sees(p)).map((p) => [p, change.object(p)] as const));
  const all = change.object(null);
  return { ...change, sees: (p) => seen.has(p), object: (viewer) => (viewer === null ? all : (seen.get(viewer) ?? all)) };
}

export function programChange(db: Db, p: ProgramRow, operation: Operation): Change {
  const object = programOut(p) as WireObject;
  return { objectType: 'PROGRAM', operation, programId: p.uuid, sees: (partner) => enrolled(db, partner, p.id), object: () => object };
}

export function eventChange(db: Db, e: EventRow, operation: Operation): Change {
  // a deleted draft is announced as what it was to those who could have seen it (nobody: drafts are private)
  return { objectType: 'EVENT', operation, programId: programUuid(db, e.program_id), sees: (partner) => canSee(db, partner, e), object: (viewer) => eventOut(db, e, viewer) as WireObject };
}

export function reportChange(db: Db, r: Parameters<typeof reportOut>[0] & { partner_id: number; event_id: number | null }, operation: Operation): Change {
  const ev = r.event_id === null ? undefined : (db.prepare('SELECT uuid, program_id FROM dr_events WHERE id = ?').get(r.event_id) as { uuid: string; program_id: number | null } | undefined);
  const object = reportOut(r, ev?.uuid ?? 'none', partnerById(db, r.partner_id)) as WireObject;
  return { objectType: 'REPORT', operation, programId: programUuid(db, ev?.program_id ?? null), sees: (partner) => partner === r.partner_id, object: () => object };
}

export function subscriptionChange(db: Db, s: Parameters<typeof subscriptionOut>[0] & { partner_id: number }, operation: Operation): Change {
  const object = subscriptionOut(s, partnerById(db, s.partner_id)) as WireObject;
  // the HMAC secret stays with the subscription's owner
  const { webhookSecret: _secret, ...others } = object;
  return { objectType: 'SUBSCRIPTION', operation, programId: (object.programID as string | undefined) ?? null, sees: (partner) => partner === s.partner_id, object: (viewer) => (viewer === s.partner_id ? object : (others as WireObject)) };
}

export function venChange(db: Db, p: PartnerRow, operation: Operation): Change {
  const object = venOut(p) as WireObject;
  return { objectType: 'VEN', operation, programId: null, sees: (partner) => partner === p.id, object: () => object };
}

export function resourceChange(db: Db, r: ResourceRowFull, operation: Operation): Change {
  const owner = partnerById(db, r.partner_id!);
  const object = resourceOut(r, owner) as WireObject;
  return { objectType: 'RESOURCE', operation, programId: null, sees: (partner) => partner === r.partner_id, object: () => object };
}
