/**
 * MQTT: subscribes to the points' topics and takes each message as a reading. A payload is a plain number
 * ("21.5", "true") or JSON; `address.json_path` ("data.power", "values[0]", "$.a.b") picks the value out of
 * a JSON document. Commands publish through the same connection.
 * With `connection.stale_after_seconds`, a point whose last message is older turns `stale`.
 */
import type { MqttClient } from 'mqtt';
import type { PointConfig, WriteOutcome } from '../contracts';
import { validateAddress } from '../validation';
import { addReading, type Driver, type DriverContext, DriverStats, type RawReading, type Readings, type WireTrace, withTimeout } from './driver';

/** Walks a path such as "data.items[2].value" (a leading "$." is allowed) into a parsed JSON document. */
export function pickPath(doc: unknown, path: string): unknown {
  const parts = path
    .replace(/^\$\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '');
  let cur: unknown = doc;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function payloadValue(payload: Buffer | string, jsonPath: string | undefined): { raw: number | string | null; error?: string } {
  const text = payload.toString().trim();
  let value: unknown = text;
  if (jsonPath) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return { raw: null, error: 'payload is not JSON, but the point has a json_path' };
    }
    value = pickPath(doc, jsonPath);
    if (value === undefined) return { raw: null, error: `json_path ${jsonPath} is not in the payload` };
  }
  if (typeof value === 'number') return { raw: value };
  if (typeof value === 'boolean') return { raw: value ? 1 : 0 };
  if (typeof value === 'string') {
    if (value === 'true' || value === 'false') return { raw: value === 'true' ? 1 : 0 };
    const n = Number(value);
    return value !== '' && Number.isFinite(n) ? { raw: n } : { raw: value };
  }
  return { raw: null, error: 'the value is not a number, a boolean or a string' };
}

export class MqttDriver implements Driver {
  readonly stats = new DriverStats();
  private client: MqttClient | null = null;
  private byTopic = new Map<string, PointConfig[]>();
  private readonly lastSeen = new Map<number, RawReading>();

  constructor(private readonly ctx: DriverContext) {}

  async connect(): Promise<void> {
    const c = this.ctx.connection;
    const url = `mqtt://${String(c.host)}:${Number(c.port ?? 1883)}`;
    try {
      // imported on first use: loading mqtt costs seconds on a busy machine and a store without MQTT never needs it
      const { default: mqtt } = await import('mqtt');
      const client = await withTimeout(
        mqtt.connectAsync(url, {
          username: typeof c.username === 'string' ? c.username : undefined,
          password: typeof c.password === 'string' ? c.password : undefined,
          clientId: typeof c.client_id === 'string' ? c.client_id : `switchyard-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
          reconnectPeriod: 0,
          connectTimeout: Math.max(this.ctx.timeoutMs, 1000),
        }),
        Math.max(this.ctx.timeoutMs, 1000) + 500,
        'connect',
      );
      this.client = client;
      client.on('message', (topic, payload) => this.onMessage(topic, payload));
      client.on('close', () => {
        if (this.client === client) this.ctx.lost('the broker closed the connection');
      });
      client.on('error', (e) => this.stats.error('connection', e.message));
      await this.subscribe([...this.byTopic.keys()]);
    } catch (e) {
      this.stats.error((e as { code?: string }).code === 'ETIMEDOUT' ? 'timeout' : 'connection', (e as Error).message);
      throw e;
    }
  }

  private async subscribe(topics: string[]): Promise<void> {
    if (!this.client || !topics.length) return;
    this.stats.request(`SUBSCRIBE ${topics.join(', ')}`);
    await this.client.subscribeAsync(topics, { qos: 0 });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const points = this.byTopic.get(topic);
    if (!points) return;
    this.stats.response(`${topic} ${payload.toString().slice(0, 200)}`, 0);
    const now = Date.now();
    this.ctx.push((out) => {
      for (const p of points) {
        const r: RawReading = { ...payloadValue(payload, p.address.json_path as string | undefined), ts: now };
        if (r.error) this.stats.error('decode', `${topic}: ${r.error}`);
        this.lastSeen.set(p.id, r);
        addReading(out, p.id, r);
      }
    });
  }

  plan(points: PointConfig[]): void {
    const before = new Set(this.byTopic.keys());
    this.byTopic.clear();
    for (const p of points) {
      if (validateAddress('mqtt', p.address, false)) continue;
      const topic = String(p.address.topic);
      const list = this.byTopic.get(topic) ?? [];
      list.push(p);
      this.byTopic.set(topic, list);
    }
    const added = [...this.byTopic.keys()].filter((t) => !before.has(t));
    const removed = [...before].filter((t) => !this.byTopic.has(t));
    if (this.client) {
      if (removed.length) void this.client.unsubscribeAsync(removed).catch(() => undefined);
      void this.subscribe(added).catch((e) => this.stats.error('connection', (e as Error).message));
    }
  }

  /** Between messages there is nothing to ask: a scan reports invalid addresses and stale values only. */
  async read(out: Readings): Promise<void> {
    if (!this.client?.connected) throw new Error('not connected to the broker');
    const staleAfter = typeof this.ctx.connection.stale_after_seconds === 'number' ? this.ctx.connection.stale_after_seconds * 1000 : null;
    const now = Date.now();
    for (const points of this.byTopic.values()) {
      for (const p of points) {
        const last = this.lastSeen.get(p.id);
        if (staleAfter !== null && last && last.ts !== undefined && now - last.ts > staleAfter) out.add(p.id, last.raw, 'stale', last.ts, last.error);
      }
    }
    this.stats.requestsInLastScan = 0;
  }

  async readOne(point: PointConfig): Promise<RawReading & WireTrace> {
    const last = this.lastSeen.get(point.id);
    return last ? { ...last, response: this.stats.lastResponse } : { raw: null, error: `no message on ${String(point.address.topic)} yet` };
  }

  async write(point: PointConfig, raw: number): Promise<WriteOutcome> {
    const topic = typeof point.address.write_topic === 'string' ? point.address.write_topic : String(point.address.topic);
    try {
      await this.publish(topic, String(raw));
      return { ok: true };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  async publish(topic: string, payload: string): Promise<void> {
    if (!this.client?.connected) throw new Error('not connected to the broker');
    this.stats.request(`PUBLISH ${topic} ${payload.slice(0, 200)}`);
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync(true).catch(() => undefined);
  }
}
