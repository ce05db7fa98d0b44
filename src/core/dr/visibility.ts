/**
 * What a partner (an OpenADR VEN) may see: the programs it is enrolled in (explicitly, or by owning a resource an
 * event of the program targets) and the events that target one of its resources, or, when an event names no
 * target, every event of a program it is enrolled in. Drafts are never shown. The same rules hold for lists,
 * single reads, reports and notifications, in the partner API and in the OpenADR VTN.
 */
import type { Db } from '../store/store';
import type { EventRow } from './events';

export function ownsTarget(db: Db, partner: number, e: EventRow): boolean {
  const targets = JSON.parse(e.target_resources) as number[];
  return targets.some((id) => Boolean(db.prepare('SELECT 1 FROM dr_resources WHERE id = ? AND partner_id = ?').get(id, partner)));
}

export function enrolled(db: Db, partner: number, programId: number): boolean {
  if (db.prepare('SELECT 1 FROM dr_program_partners WHERE program_id = ? AND partner_id = ?').get(programId, partner)) return true;
  const events = db.prepare("SELECT * FROM dr_events WHERE program_id = ? AND status != 'draft'").all(programId) as EventRow[];
  return events.some((e) => ownsTarget(db, partner, e));
}

export function canSee(db: Db, partner: number, e: EventRow): boolean {
  if (e.status === 'draft') return false;
  if ((JSON.parse(e.target_resources) as number[]).length === 0) return e.program_id !== null && enrolled(db, partner, e.program_id);
  return ownsTarget(db, partner, e);
}

/** The events a partner can see, newest first (by creation, then id). */
export function visibleEvents(db: Db, partner: number): EventRow[] {
  return (db.prepare("SELECT * FROM dr_events WHERE status != 'draft' ORDER BY created_at DESC, id DESC").all() as EventRow[]).filter((e) => canSee(db, partner, e));
}
