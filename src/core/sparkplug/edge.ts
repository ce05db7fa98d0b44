/**
 * One Sparkplug B 3.0 edge node: its MQTT session (NDEATH as the will, with a bdSeq stored before each CONNECT;
 * ended with an NDEATH when its primary host goes offline, see host-state.ts),
 * its births (NBIRTH with bdSeq and Node Control/Rebirth, then one DBIRTH per device), NDATA/DDATA on change beyond
 * the deadband with seq 0..255, rebirth on NCMD, commands handed to the command handler, and store-and-forward:
 * while the broker (or the primary host) is unreachable, what would be published goes to the durable outbox; once
 * back, it is sent in order, flagged historical with its original timestamps, a bounded number of messages per
 * tick after the live data of that tick (live data is never queued behind the backlog). A device whose data source
 * goes offline gets a DDEATH, and a DBIRTH with its current values once the data source is back (seq continues).
 */
import fs from 'node:fs';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { ValueBatch, ValueBus } from '../values/bus';
import type { Store } from '../store/store';
import { buildCatalog, type Catalog, type Device, type NodeConfig } from './catalog';
import { deviceBirthMetrics, offlineDevices } from './devices';
import { EVENT_METRICS, EventSource } from './events';
import { PrimaryHostState } from './host-state';
import type { HeldEntry, Outbox, OutboxRow, StoredNodeValue, StoredPointValue } from './outbox';
import { bdSeqMetric, type BirthMetric, decode, encodeBirth, encodeData, encodeDeath, encodeDeviceDeath, encodeHeld, encodeMetrics, withHeader, type MetricValue, stateTopic, topic, type UMetric, wireValue } from './wire';
import type { TypeStr } from 'sparkplug-payload/lib/sparkplugbpayload';
import type { Quality } from '../values/bus';
import type { EdgeState, EdgeStatus } from '../../shared/sparkplug';

export interface DeviceCommand {
  node: NodeConfig;
  /** the point the metric names (alias or name), or null when the device or metric is unknown */
  pointId: number | null;
  device: string;
  metric: string;
  value: UMetric['value'];
}

export interface EdgeDeps {
  store: Store;
  values: ValueBus;
  outbox: Outbox;
  events: EventSource;
  log: (line: string) => void;
  command: (c: DeviceCommand, m: UMetric) => Promise<void> | void;
}

export type { EdgeState, EdgeStatus } from '../../shared/sparkplug';

const NODE_METRICS: [string, TypeStr][] = [
  ['Node Control/Rebirth', 'Boolean'],
  [EVENT_METRICS.alarm, 'String'],
  [EVENT_METRICS.energy, 'String'],
  [EVENT_METRICS.dr, 'String'],
  [EVENT_METRICS.audit, 'String'],
];

const EVENTS_EVERY_MS = 1000;
const ENERGY_EVERY_MS = 10_000;
const EXPIRE_EVERY_MS = 60_000;

interface Sent {
  value: number | boolean | string | null;
  quality: Quality;
}

export class EdgeNode {
  private client: MqttClient | null = null;
  private catalog: Catalog;
  private seq = 0;
  private bdSeq: number | null = null;
  private unusedBdSeq: number | null = null;
  private born = false;
  private hostOnline: boolean;
  private readonly host = new PrimaryHostState();
  /** a session being ended (its NDEATH published, then the disconnect) */
  private ending: Promise<void> | null = null;
  private subscribed = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private busy = false;
  private backoffMs = 500;
  private rebirthWanted = false;
  private readonly sent = new Map<number, Sent>();
  /** the quality a host last saw per point (births and live data): a Quality property is sent when either is not good */
  private readonly wireQuality = new Map<number, Quality>();
  private pending = new Map<number, StoredPointValue[]>();
  private lastEvents = 0;
  private lastEnergy = 0;
  private lastExpire = 0;
  private lastBirth: number | null = null;
  private lastError: string | null = null;
  private readonly counts = { messages: 0, values: 0, historical_values: 0 };
  private unsubscribe: (() => void) | null = null;
  /** data sources whose device has no birth in this session: a DDEATH was sent, or it was offline at the NBIRTH */
  private readonly dead = new Set<number>();
  private readonly offline: (catalog: Catalog) => Set<number>;

  constructor(
    readonly cfg: NodeConfig,
    private readonly deps: EdgeDeps,
  ) {
    this.catalog = buildCatalog(deps.store, cfg);
    this.offline = offlineDevices(deps.store);
    this.hostOnline = cfg.primaryHostId === null;
  }

  start(): void {
    const st = this.deps.outbox.state(this.cfg.id);
    const init = this.deps.events.initial(st);
    if (Object.keys(init).length) this.deps.outbox.setCursors(this.cfg.id, init);
    this.unsubscribe = this.deps.values.subscribe((b) => this.take(b));
    this.tickTimer = setInterval(() => void this.tick(), this.cfg.publishIntervalMs);
    void this.connect();
  }

  /** Ends the session cleanly: an NDEATH is published (the broker would otherwise send the will). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // what was gathered but not sent is kept for the next start
    this.spill();
    await this.ending;
    await this.endSession();
  }

  /**
   * Publishes the session's NDEATH (a host is told at once, not by the will) and disconnects; once the NDEATH is
   * acknowledged, with a DISCONNECT, so that the broker does not publish the will as a second NDEATH.
   */
  private async endSession(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.born = false;
    let told = false;
    if (c?.connected && this.bdSeq !== null) {
      told = await c.publishAsync(topic(this.cfg.groupId, 'NDEATH', this.cfg.edgeNodeId), Buffer.from(encodeDeath(this.bdSeq)), { qos: 1 }).then(
        () => true,
        () => false,
      );
    }
    if (c) await c.endAsync(!told).catch(() => undefined);
  }

  /**
   * The primary host went offline (Sparkplug 3.0): the session ends with its NDEATH, so that every other host sees
   * the node offline too, and a new one starts at once with the next bdSeq, silent until the host is back online;
   * data meanwhile goes to the outbox.
   */
  private hostLost(): void {
    this.deps.log(`sparkplug: ${this.cfg.name}: the primary host ${this.cfg.primaryHostId} is offline; ending the session (bdSeq ${this.bdSeq})`);
    this.spill();
    this.ending = this.endSession().then(() => {
      this.ending = null;
      this.backoffMs = 500;
      return this.connect();
    });
  }

  /**
   * Points, data sources or spaces changed: a new catalog and, when what a birth declares changed (or `force`: a
   * host's or the API's rebirth), a full rebirth. A change that leaves every device's metrics as they were (a binding
   * re-saved, another space's point) births nothing: a needless rebirth re-bases the deadbands on the birth's values.
   */
  reload(force = false): void {
    const before = birthShape(this.catalog);
    this.catalog = buildCatalog(this.deps.store, this.cfg);
    if (force || birthShape(this.catalog) !== before) this.rebirthWanted = true;
  }

  private ready(): boolean {
    return !!this.client?.connected && this.born && this.hostOnline;
  }

  // ------------------------------------------------------------------ session

  private tlsOptions(): Partial<IClientOptions> {
    const t = this.cfg.tls;
    const pem = (v: string | undefined) => (v && !v.includes('-----BEGIN') && fs.existsSync(v) ? fs.readFileSync(v, 'utf8') : v);
    const o: Partial<IClientOptions> = {};
    if (t.ca) o.ca = pem(t.ca);
    if (t.cert) o.cert = pem(t.cert);
    if (t.private_key) o.key = pem(t.private_key);
    if (t.key_password) (o as Record<string, unknown>).passphrase = t.key_password;
    if (t.reject_unauthorized !== undefined) o.rejectUnauthorized = t.reject_unauthorized;
    if (t.servername) (o as Record<string, unknown>).servername = t.servername;
    return o;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    // the bdSeq is stored before the CONNECT that carries it (a restart never reuses it); an attempt that made no
    // session (broker unreachable) leaves it unused for the next attempt
    const bdSeq = this.unusedBdSeq ?? this.deps.outbox.nextBdSeq(this.cfg.id);
    this.unusedBdSeq = bdSeq;
    const url = this.cfg.brokerUrl.replace(/^tcp:/, 'mqtt:').replace(/^ssl:/, 'mqtts:');
    let client: MqttClient;
    try {
      const { default: mqtt } = await import('mqtt'); // on first connection: no cost for a store without edge nodes
      client = await mqtt.connectAsync(url, {
        clientId: `switchyard-${this.cfg.groupId}-${this.cfg.edgeNodeId}`.slice(0, 64),
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        keepalive: 30,
        queueQoSZero: false,
        username: this.cfg.username ?? undefined,
        password: this.cfg.password ?? undefined,
        will: { topic: topic(this.cfg.groupId, 'NDEATH', this.cfg.edgeNodeId), payload: Buffer.from(encodeDeath(bdSeq)), qos: 1, retain: false },
        ...this.tlsOptions(),
      });
    } catch (e) {
      this.lastError = (e as Error).message;
      this.retry();
      return;
    }
    if (this.stopped) {
      await client.endAsync(true).catch(() => undefined);
      return;
    }
    this.client = client;
    // the host's retained STATE may arrive before the SUBACK: the births wait for it (one NBIRTH, after the subscriptions)
    this.subscribed = false;
    this.bdSeq = bdSeq;
    this.unusedBdSeq = null;
    this.born = false;
    this.backoffMs = 500;
    this.lastError = null;
    client.on('message', (t, p) => {
      if (this.client === client) this.onMessage(t, p);
    });
    client.on('error', (e) => {
      this.lastError = e.message;
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = null;
      this.born = false;
      if (this.cfg.primaryHostId !== null) this.hostOnline = false;
      this.deps.log(`sparkplug: ${this.cfg.name}: the broker connection closed; holding data in the outbox`);
      this.retry();
    });
    const subs = [topic(this.cfg.groupId, 'NCMD', this.cfg.edgeNodeId), `${topic(this.cfg.groupId, 'DCMD', this.cfg.edgeNodeId)}/+`];
    if (this.cfg.primaryHostId) subs.push(stateTopic(this.cfg.primaryHostId));
    try {
      await client.subscribeAsync(subs, { qos: 1 });
    } catch (e) {
      this.lastError = (e as Error).message;
    }
    this.deps.log(`sparkplug: ${this.cfg.name}: connected to ${this.cfg.brokerUrl} (bdSeq ${bdSeq})`);
    this.subscribed = true;
    if (this.hostOnline) this.birth();
  }

  private retry(): void {
    if (this.stopped || this.retryTimer) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, wait);
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    return s;
  }

  private send(t: string, payload: Uint8Array): Promise<void> {
    this.counts.messages++;
    return this.client!.publishAsync(t, Buffer.from(payload), { qos: 0 }).then(() => undefined);
  }

  /** NBIRTH (seq 0) then one DBIRTH per device, with every metric's current value; what was gathered before goes to the outbox. */
  private birth(): void {
    if (!this.client?.connected || this.bdSeq === null) return;
    this.spill();
    this.rebirthWanted = false;
    const now = Date.now();
    this.seq = 0;
    const node: BirthMetric[] = [bdSeqMetric(this.bdSeq, now), ...NODE_METRICS.map(([name, type]): BirthMetric => ({ alias: null, name, type, value: type === 'Boolean' ? false : null, ts: now, properties: {} }))];
    void this.send(topic(this.cfg.groupId, 'NBIRTH', this.cfg.edgeNodeId), encodeBirth(this.nextSeq(), node, now)).catch((e: Error) => (this.lastError = e.message));
    // a device whose data source is offline is not born: it gets its DBIRTH once it is back
    this.dead.clear();
    const offline = this.offline(this.catalog);
    for (const d of this.catalog.devices) {
      if (offline.has(d.dataSourceId)) this.dead.add(d.dataSourceId);
      else this.deviceBirth(d, now);
    }
    this.born = true;
    this.lastBirth = now;
  }

  /** One DBIRTH (seq continues), with every metric's current value and timestamp. */
  private deviceBirth(d: Device, now: number): void {
    const metrics = deviceBirthMetrics(d, (id) => this.deps.values.latest(id), now);
    for (const m of metrics) {
      this.sent.set(m.alias, { value: m.value, quality: m.quality });
      this.wireQuality.set(m.alias, m.quality);
    }
    void this.send(topic(this.cfg.groupId, 'DBIRTH', this.cfg.edgeNodeId, d.id), encodeBirth(this.nextSeq(), metrics, now)).catch((e: Error) => (this.lastError = e.message));
  }

  /**
   * Device sessions within the node's session: a device back online gets its DBIRTH (what it gathered while it had
   * none goes to the outbox first, but for the values the DBIRTH carries as current, so a host never receives an
   * older value as current after the birth); answers the devices that went offline, whose DDEATH follows the DDATA
   * of this tick (the comm_fail it read last reaches the host before the death).
   */
  private deviceSessions(): Device[] {
    const offline = this.offline(this.catalog);
    const held: HeldEntry[] = [];
    for (const ds of this.dead) {
      let values = this.pending.get(ds);
      if (!values) continue;
      this.pending.delete(ds);
      if (!offline.has(ds)) {
        values = values.filter(([id, , ts]) => this.deps.values.latest(id)?.ts !== ts);
      }
      if (values.length) held.push(this.heldEntry(ds, values));
    }
    if (held.length) this.deps.outbox.append(this.cfg.id, held, this.cfg.outboxMaxBytes);
    const now = Date.now();
    for (const ds of [...this.dead]) {
      if (offline.has(ds)) continue;
      this.dead.delete(ds);
      const d = this.catalog.byDataSource.get(ds);
      if (d) this.deviceBirth(d, now);
    }
    return this.catalog.devices.filter((d) => offline.has(d.dataSourceId) && !this.dead.has(d.dataSourceId));
  }

  private onMessage(t: string, payload: Buffer): void {
    const g = this.cfg.groupId;
    const n = this.cfg.edgeNodeId;
    if (this.cfg.primaryHostId && t === stateTopic(this.cfg.primaryHostId)) {
      const online = this.host.read(payload);
      if (online === null) return;
      const was = this.hostOnline;
      this.hostOnline = online;
      if (online && !was && this.subscribed) this.birth();
      else if (!online && was) this.hostLost();
      return;
    }
    let msg;
    try {
      msg = decode(payload);
    } catch (e) {
      this.deps.log(`sparkplug: ${this.cfg.name}: undecodable command on ${t}: ${(e as Error).message}`);
      return;
    }
    if (t === topic(g, 'NCMD', n)) {
      for (const m of msg.metrics ?? []) {
        if (m.name === 'Node Control/Rebirth' && m.value === true) this.rebirthWanted = true;
      }
      if (this.rebirthWanted && this.hostOnline) this.birth();
      return;
    }
    const prefix = `${topic(g, 'DCMD', n)}/`;
    if (!t.startsWith(prefix)) return;
    const device = this.catalog.byDevice.get(t.slice(prefix.length));
    for (const m of msg.metrics ?? []) {
      const alias = m.alias === undefined || m.alias === null ? null : Number(m.alias.toString());
      let pointId: number | null = null;
      if (device) {
        const byAlias = alias !== null ? device.metrics.find((x) => x.pointId === alias) : undefined;
        pointId = (byAlias ?? device.metrics.find((x) => x.name === m.name))?.pointId ?? null;
      }
      const metricName = m.name ?? (alias !== null ? `alias ${alias}` : '?');
      void Promise.resolve(this.deps.command({ node: this.cfg, pointId, device: t.slice(prefix.length), metric: metricName, value: m.value }, m as UMetric)).catch((e: Error) => this.deps.log(`sparkplug: ${this.cfg.name}: command failed: ${e.message}`));
    }
  }

  // ------------------------------------------------------------------ data

  /** Values from the bus: those that moved beyond their deadband (or changed quality) wait for the next tick. */
  take(batch: ValueBatch): void {
    for (let i = 0; i < batch.length; i++) {
      const e = this.catalog.byPoint.get(batch.id(i));
      if (!e) continue;
      const v = batch.at(i);
      const value = wireValue(e.metric.type, v.value);
      const last = this.sent.get(v.point_id);
      if (last && last.quality === v.quality) {
        if (typeof value === 'number' && typeof last.value === 'number') {
          if (Math.abs(value - last.value) <= e.metric.deadband && !(e.metric.deadband === 0 && value !== last.value)) continue;
        } else if (value === last.value) continue;
      }
      this.sent.set(v.point_id, { value, quality: v.quality });
      let list = this.pending.get(e.device.dataSourceId);
      if (!list) this.pending.set(e.device.dataSourceId, (list = []));
      list.push([v.point_id, value, v.ts, v.quality]);
    }
  }

  /** The gathered point values go to the outbox (committed at once). */
  private spill(events: ReturnType<EventSource['gather']> | null = null): void {
    if (!this.pending.size && !events) return;
    const entries: HeldEntry[] = [...this.pending].map(([ds, values]) => this.heldEntry(ds, values));
    if (events?.values.length) entries.push({ dataSourceId: null, values: events.values });
    this.pending = new Map();
    this.deps.outbox.append(this.cfg.id, entries, this.cfg.outboxMaxBytes, events?.commit);
  }

  /**
   * A device's values as held: encoded once as historical Sparkplug metrics (about half the bytes of JSON, and
   * sending them after an outage is a copy, not a decode and an encode); a historical value carries a Quality only
   * when it is not good (absent means good to a host; the property costs 15 times the encoding of the value itself).
   */
  private heldEntry(ds: number, values: StoredPointValue[]): HeldEntry {
    const d = this.catalog.byDataSource.get(ds);
    if (!d) return { dataSourceId: ds, values };
    return { dataSourceId: ds, values, encoded: { body: encodeHeld(this.pointMetrics(values, false)), sig: d.sig } };
  }

  /** A held encoded device row as a DDATA payload; metrics of points no longer published (or retyped) are left out. */
  private heldPayload(r: OutboxRow, body: Buffer): { payload: Uint8Array | null; sent: number } {
    const d = this.catalog.byDataSource.get(r.data_source_id!);
    if (!d) return { payload: null, sent: 0 };
    if (r.sig === d.sig) return { payload: withHeader(this.nextSeq(), body), sent: r.n };
    const kept = (decode(body).metrics ?? []).filter((m) => {
      const e = this.catalog.byPoint.get(Number(m.alias?.toString()));
      return e?.device === d && e.metric.type === m.type;
    });
    return kept.length ? { payload: encodeMetrics(this.nextSeq(), kept), sent: kept.length } : { payload: null, sent: 0 };
  }

  private gatherEvents(now: number): ReturnType<EventSource['gather']> | null {
    if (now - this.lastEvents < EVENTS_EVERY_MS) return null;
    this.lastEvents = now;
    const withEnergy = now - this.lastEnergy >= ENERGY_EVERY_MS;
    if (withEnergy) this.lastEnergy = now;
    const state = this.deps.outbox.state(this.cfg.id);
    return this.deps.events.gather(this.cfg.id, state, (c) => this.deps.outbox.setCursors(this.cfg.id, c), withEnergy);
  }

  private pointMetrics(values: StoredPointValue[], withQualityAlways: boolean): MetricValue[] {
    const out: MetricValue[] = [];
    for (const [alias, value, ts, quality] of values) {
      const e = this.catalog.byPoint.get(alias);
      if (!e) continue;
      out.push({ alias, type: e.metric.type, value: value as MetricValue['value'], ts, quality: quality as Quality, withQuality: withQualityAlways || quality !== 'good' });
    }
    return out;
  }

  private nodeMetrics(values: StoredNodeValue[]): MetricValue[] {
    return values.map(([name, type, value, ts]) => ({ alias: null, name, type: type as TypeStr, value, ts }));
  }

  async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const now = Date.now();
      if (now - this.lastExpire >= EXPIRE_EVERY_MS) {
        this.lastExpire = now;
        const dropped = this.deps.outbox.expire(this.cfg.id, this.cfg.outboxMaxAgeMs);
        if (dropped) this.deps.log(`sparkplug: ${this.cfg.name}: ${dropped} values older than the outbox's age limit were dropped`);
      }
      if (this.rebirthWanted && this.client?.connected && this.hostOnline) this.birth();
      const events = this.gatherEvents(now);
      if (!this.ready()) {
        this.spill(events);
        return;
      }
      const dying = this.deviceSessions();
      await this.publishLive(events);
      for (const d of dying) {
        this.dead.add(d.dataSourceId);
        await this.send(topic(this.cfg.groupId, 'DDEATH', this.cfg.edgeNodeId, d.id), encodeDeviceDeath(this.nextSeq()));
      }
      await this.drain();
    } catch (e) {
      this.lastError = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  private async publishLive(events: ReturnType<EventSource['gather']> | null): Promise<void> {
    const sends: Promise<void>[] = [];
    const pending = this.pending;
    this.pending = new Map();
    for (const [ds, values] of pending) {
      const d = this.catalog.byDataSource.get(ds);
      const metrics = this.pointMetrics(values, true);
      if (!d || !metrics.length) continue;
      // a quality property only where it is not good or has just become good again
      for (const m of metrics) {
        m.withQuality = m.quality !== 'good' || this.wireQuality.get(m.alias!) !== 'good';
        this.wireQuality.set(m.alias!, m.quality!);
      }
      this.counts.values += metrics.length;
      sends.push(this.send(topic(this.cfg.groupId, 'DDATA', this.cfg.edgeNodeId, d.id), encodeData(this.nextSeq(), metrics, false)));
    }
    if (events?.values.length) {
      this.counts.values += events.values.length;
      sends.push(this.send(topic(this.cfg.groupId, 'NDATA', this.cfg.edgeNodeId), encodeData(this.nextSeq(), this.nodeMetrics(events.values), false)));
    }
    try {
      await Promise.all(sends);
      events?.commit();
    } catch (e) {
      // the connection dropped while sending: what this tick gathered is kept in the outbox
      for (const [ds, values] of pending) {
        const list = this.pending.get(ds) ?? [];
        this.pending.set(ds, [...values, ...list]);
      }
      this.spill(events);
      throw e;
    }
  }

  /** Sends up to historicalPerTick outbox messages, oldest first, flagged historical; removes them once sent. */
  private async drain(): Promise<void> {
    const rows = this.deps.outbox.peek(this.cfg.id, this.cfg.historicalPerTick, [...this.dead]);
    if (!rows.length) return;
    const sends: Promise<void>[] = [];
    const done: number[] = [];
    let gone = 0;
    for (const r of rows) {
      if (typeof r.body !== 'string') {
        const { payload, sent } = this.heldPayload(r, r.body);
        if (payload) {
          this.counts.historical_values += sent;
          sends.push(this.send(topic(this.cfg.groupId, 'DDATA', this.cfg.edgeNodeId, this.catalog.byDataSource.get(r.data_source_id!)!.id), payload));
        }
        gone += r.n - sent;
        done.push(r.id);
        continue;
      }
      // JSON rows: node events, and device rows held before the encoded form
      const values = JSON.parse(r.body) as (StoredPointValue | StoredNodeValue)[];
      if (r.data_source_id === null) {
        const metrics = this.nodeMetrics(values as StoredNodeValue[]);
        this.counts.historical_values += metrics.length;
        sends.push(this.send(topic(this.cfg.groupId, 'NDATA', this.cfg.edgeNodeId), encodeData(this.nextSeq(), metrics, true)));
      } else {
        const d = this.catalog.byDataSource.get(r.data_source_id);
        // a historical value carries a Quality only when it is not good (absent means good to a host; the property
        // costs 15 times the encoding of the value itself)
        const metrics = d ? this.pointMetrics(values as StoredPointValue[], false) : [];
        if (d && metrics.length) {
          this.counts.historical_values += metrics.length;
          sends.push(this.send(topic(this.cfg.groupId, 'DDATA', this.cfg.edgeNodeId, d.id), encodeData(this.nextSeq(), metrics, true)));
        }
        // points deleted or no longer selected since they were held
        gone += values.length - metrics.length;
      }
      done.push(r.id);
    }
    await Promise.all(sends);
    this.deps.outbox.remove(this.cfg.id, done);
    if (gone) {
      this.deps.outbox.countDropped(this.cfg.id, gone);
      this.deps.log(`sparkplug: ${this.cfg.name}: ${gone} held values of points no longer published were dropped`);
    }
  }

  status(): EdgeStatus {
    const o = this.deps.outbox.stats(this.cfg.id);
    const state: EdgeState = this.stopped ? 'stopped' : this.ready() ? 'online' : this.client?.connected ? (this.hostOnline ? 'connecting' : 'waiting_for_host') : this.bdSeq === null && !this.lastError ? 'connecting' : 'offline';
    return {
      id: this.cfg.id,
      name: this.cfg.name,
      state,
      broker_url: this.cfg.brokerUrl,
      group_id: this.cfg.groupId,
      edge_node_id: this.cfg.edgeNodeId,
      bd_seq: this.bdSeq,
      seq: this.seq,
      devices: this.catalog.devices.length,
      metrics: this.catalog.byPoint.size,
      last_birth: this.lastBirth === null ? null : new Date(this.lastBirth).toISOString(),
      last_error: this.lastError,
      published: { ...this.counts },
      outbox: { messages: o.rows, values: o.values, bytes: o.bytes, oldest: o.oldest === null ? null : new Date(o.oldest).toISOString(), dropped: o.dropped },
    };
  }
}

/** What a birth declares of a catalog: its devices and their metrics (names, types, units, limits, writable...). */
const birthShape = (c: Catalog): string => JSON.stringify(c.devices.map((d) => [d.id, d.dataSourceId, d.metrics]));
