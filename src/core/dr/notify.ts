/**
 * OpenADR 3 notifications of every object type a subscription may name (PROGRAM, EVENT, REPORT, SUBSCRIPTION, VEN,
 * RESOURCE) and operation (CREATE, UPDATE, DELETE), each only to the clients allowed to see the object: the VTN
 * operator's business logic (role `bl`) sees all; a VEN sees its programs and events (visibility.ts) and its own
 * VEN, resources, reports and subscriptions. A notification carries the object as that client reads it (a VEN sees
 * only its own resource names among an event's targets).
 *
 * Webhooks go through the persistent outbox (webhooks.ts: signed, retried); MQTT through the notifier broker
 * (mqtt-notifier.ts). A subscription's programID narrows to objects of that program (objects tied to no program,
 * VENs and resources, are not narrowed); its targets narrow event notifications to events with one of those targets.
 */
import type { Db } from '../store/store';
import type { PartnerRow } from './openadr-wire';
import type { WebhookOutbox } from './webhooks';

export const OBJECT_TYPES = ['PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';
export type WireObject = Record<string, unknown> & { id: string; targets?: string[] | null };

export interface Change {
  objectType: ObjectType;
  operation: Operation;
  /** the program the object belongs to (its uuid), if any */
  programId: string | null;
  /** whether the VEN partner may see the object (business logic partners see everything) */
  sees(partner: number): boolean;
  /** the object as a client reads it: a VEN partner's id, or null for the business logic */
  object(viewer: number | null): WireObject;
}

export interface Notification {
  objectType: ObjectType;
  operation: Operation;
  object: WireObject;
  targets?: string[];
}

export function notification(change: Change, viewer: number | null): Notification {
  const object = change.object(viewer);
  return { objectType: change.objectType, operation: change.operation, object, ...(Array.isArray(object.targets) ? { targets: object.targets } : {}) };
}

/** Where notifications go besides webhooks (the MQTT notifier). */
export interface NotificationSink {
  publish(change: Change): void;
}

interface SubscriptionRow {
  id: number;
  partner_id: number;
  role: 'ven' | 'bl';
  openadr: string;
}
interface OpenAdrSubscriptionBody {
  programID?: string | null;
  targets?: string[] | null;
  objectOperations: { objects: string[]; operations: string[]; callbackUrl: string; bearerToken?: string | null }[];
}

export class Notifier {
  readonly sinks: NotificationSink[] = [];
  constructor(
    private readonly db: Db,
    private readonly outbox: WebhookOutbox,
  ) {}

  /** Who may see the object: every business logic partner, and the VEN partners `change.sees` lets. */
  audience(change: Change, partner: Pick<PartnerRow, 'id' | 'role'>): boolean {
    return partner.role === 'bl' || change.sees(partner.id);
  }

  /** Queues the webhooks of every matching OpenADR subscription and publishes to the other sinks; never waits. */
  notify(change: Change): number {
    const subs = this.db.prepare('SELECT s.id, s.partner_id, p.role, s.openadr FROM dr_subscriptions s JOIN dr_partners p ON p.id = s.partner_id WHERE s.openadr IS NOT NULL ORDER BY s.id').all() as SubscriptionRow[];
    let n = 0;
    for (const s of subs) {
      if (!this.audience(change, { id: s.partner_id, role: s.role })) continue;
      const sub = JSON.parse(s.openadr) as OpenAdrSubscriptionBody;
      if (sub.programID && change.programId !== null && sub.programID !== change.programId) continue;
      if (sub.programID && change.programId === null && ['PROGRAM', 'EVENT', 'REPORT'].includes(change.objectType)) continue;
      const viewer = s.role === 'bl' ? null : s.partner_id;
      const note = notification(change, viewer);
      if (change.objectType === 'EVENT' && sub.targets?.length && !(note.object.targets ?? []).some((t) => sub.targets!.includes(t))) continue;
      const text = JSON.stringify(note);
      for (const o of sub.objectOperations) {
        if (!o.objects.includes(change.objectType) || !o.operations.includes(change.operation)) continue;
        this.outbox.enqueueTo(s.id, note.object.id, change.operation, text, o.callbackUrl, o.bearerToken ?? null);
        n++;
      }
    }
    for (const sink of this.sinks) {
      try {
        sink.publish(change);
      } catch {
        // a sink reports its own failures (the MQTT notifier logs them); webhooks are already queued
      }
    }
    return n;
  }
}
