/**
 * Webhooks to partner subscriptions: a persistent outbox (survives a restart), HMAC-SHA256 signatures over
 * `${timestamp}.${body}`, retries with backoff, no redirects, http(s) only, a per-subscription delivery log.
 * Deliveries run in the background: a slow or failing receiver never delays dispatch or the others.
 */
import { createHmac } from 'node:crypto';
import type { Store } from '../store/store';

export const SIGNATURE_HEADER = 'X-Switchyard-Signature';
export const TIMESTAMP_HEADER = 'X-Switchyard-Timestamp';
export const EVENT_HEADER = 'X-Switchyard-Event';
const MAX_ATTEMPTS = 6;
const TIMEOUT_MS = 5000;
const CONCURRENCY = 4;

export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function isWebhookUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
  } catch {
    return false;
  }
}

/** Backoff before attempt n+1 (n = attempts made): 1 s, 2 s, 4 s ... 30 s, with jitter. */
export const backoffMs = (attempts: number, base = 1000) => Math.min(30_000, base * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4);

interface DeliveryRow {
  id: number;
  subscription_id: number;
  event_uuid: string;
  operation: string;
  body: string;
  attempts: number;
  webhook_url: string;
  webhook_secret: string;
  bearer: string | null;
}

export class WebhookOutbox {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<number>();
  constructor(
    private readonly store: Store,
    private readonly log: (line: string) => void,
    private readonly backoffBaseMs = 1000,
  ) {}

  /**
   * Queues an event for every partner-API subscription (the Energy Coordination shape) matching its payload type and
   * the operation, and allowed to see it (`sees(partnerId)`). OpenADR subscriptions are served by notify.ts.
   */
  enqueue(event: { id: string; payload?: { type?: string } }, operation: 'Create' | 'Update' | 'Delete', body: unknown, sees: (partner: number) => boolean = () => true): number {
    const payloadType = ['CurrentLevel', 'PowerLevel'].includes(String(event.payload?.type)) ? String(event.payload!.type) : 'Unknown';
    const subs = this.store.db.prepare('SELECT id, partner_id, event_payload_types, operation_types FROM dr_subscriptions WHERE openadr IS NULL').all() as {
      id: number;
      partner_id: number;
      event_payload_types: string;
      operation_types: string;
    }[];
    const text = JSON.stringify(body);
    let n = 0;
    for (const s of subs) {
      if (!sees(s.partner_id)) continue;
      const types = JSON.parse(s.event_payload_types) as string[];
      const ops = JSON.parse(s.operation_types) as string[];
      if (types.length && !types.includes(payloadType)) continue;
      if (ops.length && !ops.includes(operation)) continue;
      this.enqueueTo(s.id, event.id, operation, text, null, null);
      n++;
    }
    return n;
  }

  /** Queues one delivery to a subscription (at `url`, else the subscription's webhook URL) and wakes the sender. */
  enqueueTo(subscriptionId: number, objectId: string, operation: string, body: string, url: string | null, bearer: string | null): void {
    this.store.db
      .prepare("INSERT INTO dr_deliveries (subscription_id, event_uuid, operation, body, status, next_attempt_at, created_at, url, bearer) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)")
      .run(subscriptionId, objectId, operation, body, Date.now(), new Date().toISOString(), url, bearer);
    setImmediate(() => this.tick());
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 500);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  tick(): void {
    if (!this.store.db.open) return;
    const free = CONCURRENCY - this.inFlight.size;
    if (free <= 0) return;
    const due = this.store.db
      .prepare(
        `SELECT d.id, d.subscription_id, d.event_uuid, d.operation, d.body, d.attempts, COALESCE(d.url, s.webhook_url) AS webhook_url, s.webhook_secret, d.bearer
         FROM dr_deliveries d JOIN dr_subscriptions s ON s.id = d.subscription_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.id LIMIT ?`,
      )
      .all(Date.now(), free + this.inFlight.size) as DeliveryRow[];
    for (const d of due) {
      if (this.inFlight.has(d.id) || this.inFlight.size >= CONCURRENCY) continue;
      this.inFlight.add(d.id);
      void this.deliver(d).finally(() => this.inFlight.delete(d.id));
    }
  }

  private async deliver(d: DeliveryRow): Promise<void> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    let code: number | null = null;
    let error: string | null = null;
    try {
      if (!isWebhookUrl(d.webhook_url)) throw new Error('the webhook URL is not http(s)');
      const res = await fetch(d.webhook_url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: { 'Content-Type': 'application/json', [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: sign(d.webhook_secret, timestamp, d.body), [EVENT_HEADER]: d.operation, ...(d.bearer ? { Authorization: `Bearer ${d.bearer}` } : {}) },
        body: d.body,
      });
      code = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = res.status >= 300 && res.status < 400 ? 'redirects are not followed' : `HTTP ${res.status}`;
    } catch (e) {
      error = (e as Error).message;
    }
    if (!this.store.db.open) return;
    const attempts = d.attempts + 1;
    if (!error) {
      this.store.db.prepare("UPDATE dr_deliveries SET status = 'delivered', attempts = ?, last_status_code = ?, last_error = NULL, delivered_at = ? WHERE id = ?").run(attempts, code, new Date().toISOString(), d.id);
    } else if (attempts >= MAX_ATTEMPTS) {
      this.store.db.prepare("UPDATE dr_deliveries SET status = 'failed', attempts = ?, last_status_code = ?, last_error = ? WHERE id = ?").run(attempts, code, error, d.id);
      this.log(`dr: webhook ${d.id} to ${d.webhook_url} failed after ${attempts} attempts: ${error}`);
    } else {
      this.store.db.prepare('UPDATE dr_deliveries SET attempts = ?, last_status_code = ?, last_error = ?, next_attempt_at = ? WHERE id = ?').run(attempts, code, error, Date.now() + backoffMs(attempts, this.backoffBaseMs), d.id);
    }
  }
}
