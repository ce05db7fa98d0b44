/**
 * The demand-response service: events started and ended on the clock (their requests on local assets are placed
 * through the control arbiter by dispatch.ts) and announced to the partners' subscriptions (webhooks.ts).
 */
import { ApiError } from '../api/errors';
import type { RuntimeContext } from '../feature';
import { endOf, type EventRow, toPartner } from './events';
import { eventOut } from './openadr-wire';
import { canSee } from './visibility';
import { WebhookOutbox } from './webhooks';
import { DrDispatch } from './dispatch';

export const now = () => new Date().toISOString();

export class DemandResponse {
  readonly outbox: WebhookOutbox;
  readonly dispatch: DrDispatch;
  constructor(
    private readonly ctx: RuntimeContext,
    backoffBaseMs = 1000,
  ) {
    this.outbox = new WebhookOutbox(ctx.store, ctx.log, backoffBaseMs);
    this.dispatch = new DrDispatch(ctx);
  }

  event(id: number): EventRow {
    const e = this.ctx.store.db.prepare('SELECT * FROM dr_events WHERE id = ?').get(id) as EventRow | undefined;
    if (!e) throw new ApiError(404, 'API.NOT_FOUND', 'API.DR_EVENT_NOT_FOUND', `event ${id} does not exist`);
    return e;
  }

  /** Announces a change of an event to the partners' subscriptions (never waits for them). */
  announce(e: EventRow, op: 'Create' | 'Update' | 'Delete'): void {
    if (e.status === 'draft' && op !== 'Delete') return;
    const db = this.ctx.store.db;
    const body = toPartner(this.ctx.store, e);
    const program = e.program_id ? (db.prepare('SELECT uuid FROM dr_programs WHERE id = ?').get(e.program_id) as { uuid: string } | undefined) : undefined;
    // a deleted event is announced to those who could see it: its row is gone, the snapshot is what they saw
    this.outbox.enqueue(body, op, { operation: op, event: body }, {
      sees: (partner) => canSee(db, partner, { ...e, status: e.status === 'draft' ? 'cancelled' : e.status }),
      programId: program?.uuid ?? null,
      notification: (partner) => {
        const object = eventOut(db, e, partner);
        return { objectType: 'EVENT', operation: op.toUpperCase(), object, targets: object.targets };
      },
    });
  }

  /** Starts and ends events on the clock; running events hold requests on their assets through the arbiter. */
  async tick(): Promise<void> {
    const db = this.ctx.store.db;
    if (!db.open) return;
    const t = Date.now();
    const changed: number[] = [];
    for (const e of db.prepare("SELECT * FROM dr_events WHERE status IN ('scheduled', 'active')").all() as EventRow[]) {
      const start = Date.parse(JSON.parse(e.interval_period).start);
      if (e.status === 'scheduled' && t >= start && t < endOf(e)) {
        db.prepare("UPDATE dr_events SET status = 'active', modified_at = ? WHERE id = ?").run(now(), e.id);
        changed.push(e.id);
      } else if (t >= endOf(e)) {
        db.prepare("UPDATE dr_events SET status = 'completed', modified_at = ? WHERE id = ?").run(now(), e.id);
        changed.push(e.id);
      }
    }
    if (changed.length) await this.dispatch.apply();
    else this.dispatch.sync();
    for (const id of changed) this.announce(this.event(id), 'Update');
  }
}
