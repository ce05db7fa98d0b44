/**
 * The demand-response service: events started and ended on the clock (their requests on local assets are placed
 * through the control arbiter by dispatch.ts) and announced to the partners' subscriptions (webhooks.ts).
 */
import { ApiError } from '../api/errors';
import type { RuntimeContext } from '../feature';
import { endOf, type EventRow, toPartner } from './events';
import { eventChange, snapshot } from './changes';
import { MqttNotifier } from './mqtt-notifier';
import { type Change, Notifier } from './notify';
import { canSee } from './visibility';
import { WebhookOutbox } from './webhooks';
import { DrDispatch } from './dispatch';

export const now = () => new Date().toISOString();

export class DemandResponse {
  readonly outbox: WebhookOutbox;
  readonly dispatch: DrDispatch;
  readonly notifier: Notifier;
  readonly mqtt: MqttNotifier;
  constructor(
    private readonly ctx: RuntimeContext,
    backoffBaseMs = 1000,
  ) {
    this.outbox = new WebhookOutbox(ctx.store, ctx.log, backoffBaseMs);
    this.dispatch = new DrDispatch(ctx);
    this.notifier = new Notifier(ctx.store.db, this.outbox);
    this.mqtt = new MqttNotifier(ctx.store.db, ctx.settings, ctx.log);
    this.notifier.sinks.push(this.mqtt);
  }

  /** Notifies OpenADR subscribers (webhooks, MQTT) of a change; never waits for them. */
  notify(change: Change): void {
    try {
      this.notifier.notify(change);
    } catch (e) {
      this.ctx.log(`dr: notification of ${change.objectType} ${change.operation} failed: ${(e as Error).message}`);
    }
  }

  event(id: number): EventRow {
    const e = this.ctx.store.db.prepare('SELECT * FROM dr_events WHERE id = ?').get(id) as EventRow | undefined;
    if (!e) throw new ApiError(404, 'API.NOT_FOUND', 'API.DR_EVENT_NOT_FOUND', `event ${id} does not exist`);
    return e;
  }

  /** Announces a change of an event to the partners' subscriptions (partner API and OpenADR; never waits for them). */
  announce(e: EventRow, op: 'Create' | 'Update' | 'Delete'): void {
    // a draft was never shown to anyone: its changes (and its deletion) are nobody's news
    if (e.status === 'draft') return;
    const db = this.ctx.store.db;
    const body = toPartner(this.ctx.store, e);
    this.outbox.enqueue(body, op, { operation: op, event: body }, (partner) => canSee(db, partner, e));
    // a deleted event is announced to those who could see it: the snapshot is taken before anything else goes
    const change = eventChange(db, e, op.toUpperCase() as 'CREATE' | 'UPDATE' | 'DELETE');
    this.notify(op === 'Delete' ? snapshot(db, change) : change);
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
