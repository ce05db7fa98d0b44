/**
 * One Sparkplug B 3.0 host application on one broker: connects with its STATE death as the MQTT will (retained,
 * QoS 1, JSON {online:false, timestamp}), subscribes to its own STATE topic and to its groups, then publishes its
 * STATE birth with the same timestamp; re-asserts it when it sees its own death (a late will); publishes its death
 * before a clean disconnect. Messages are taken one at a time in arrival order (sessions.ts); their samples are
 * written to the central store in batches (write-behind, a failed write is retried with the next batch), the newest
 * value per metric kept in memory for the API and written every LATEST_EVERY_MS.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { groupIds } from './entities';
import { Sessions, type NodeSession } from './sessions';
import type { CentralSample, CentralStore, LatestValue, SiteHealth } from './storage';
import { commandPayload, dcmdTopic, decode, groupFilter, ncmdTopic, parseTopic, rebirthPayload, statePayload, stateTopic, type Payload, type SparkplugTopic } from './wire';

/** Told every message the host has taken (after its session is updated): remote points, edge alarms (remote.ts) */
export type HostObserver = (hostConfigId: number, t: SparkplugTopic, p: Payload, session: NodeSession) => void;
/** Told when the host loses its broker (once per outage, after its sessions were ended): remote points go stale */
export type BrokerLostObserver = (hostConfigId: number) => void;

export const FLUSH_MS = 250;
const FLUSH_ROWS = 20_000;
/** latest values and counters are persisted this often (the API reads the running host's memory, which is newer) */
export const LATEST_EVERY_MS = 10_000;
/**
 * Batches are sized by time, not by a fixed count: each write takes what is pending, up to what the store wrote in
 * about WRITE_TARGET_MS at its last measured rate (between WRITE_MIN and WRITE_MAX rows); a backlog is written in
 * such steps back to back, each one committed, so a step's commit latency stays near the target whatever the rate.
 */
const WRITE_TARGET_MS = 1_000;
const WRITE_MIN = 10_000;
const WRITE_MAX = 500_000;
/** samples kept while the store cannot be written; beyond, the oldest are dropped (and counted) */
const MAX_PENDING = 2_000_000;

export interface HostConfig {
  id: number;
  name: string;
  broker_url: string;
  host_id: string;
  group_ids: string;
  username: string | null;
  password: string | null;
  tls_ca: string | null;
  tls_cert: string | null;
  tls_key: string | null;
  tls_verify: number | boolean | null;
}

export interface HostStatus {
  id: number;
  name: string;
  host_id: string;
  connected: boolean;
  last_error: string | null;
  groups: string[];
  pending_samples: number;
  dropped_samples: number;
  written_samples: number;
  /** rows per write step now (sized by time) */
  batch_rows: number;
}

export class SparkplugHost {
  readonly sessions: Sessions;
  private client: MqttClient | null = null;
  private chain: Promise<void> = Promise.resolve();
  private pending: CentralSample[] = [];
  private latest = new Map<number, LatestValue>();
  private latestDirty = new Map<number, LatestValue>();
  private dirtySites = new Set<NodeSession>();
  private timer: NodeJS.Timeout | null = null;
  private lastLatestFlush = 0;
  private flushing: Promise<void> | null = null;
  /** rows per write step (sized by time: see WRITE_TARGET_MS) */
  private batchRows = 50_000;
  private sessionTs = 0;
  private connected = false;
  private lastError: string | null = null;
  private stopped = false;
  dropped = 0;
  written = 0;
  observer: HostObserver | null = null;
  brokerLost: BrokerLostObserver | null = null;
  /** a broker loss was handled and no connection came since (the loss is handled once per outage) */
  private lost = false;

  constructor(
    readonly config: HostConfig,
    private readonly store: CentralStore,
    private readonly log: (line: string) => void,
  ) {
    this.sessions = new Sessions(store, config.id);
  }

  async start(): Promise<void> {
    await this.sessions.load();
    this.sessionTs = Date.now();
    const c = this.config;
    const options: IClientOptions = {
      clientId: `switchyard-host-${c.host_id}`.slice(0, 64),
      clean: true,
      keepalive: 30,
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
      username: c.username || undefined,
      password: c.password || undefined,
      will: { topic: stateTopic(c.host_id), payload: Buffer.from(statePayload(false, this.sessionTs)), qos: 1, retain: true },
    };
    if (c.broker_url.startsWith('mqtts:')) {
      Object.assign(options, { ca: c.tls_ca || undefined, cert: c.tls_cert || undefined, key: c.tls_key || undefined, rejectUnauthorized: c.tls_verify !== 0 && c.tls_verify !== false });
    }
    const { default: mqtt } = await import('mqtt'); // on first use: no cost for a store without central hosts
    const client = mqtt.connect(c.broker_url, options);
    this.client = client;
    client.on('connect', () => void this.online(client));
    client.on('close', () => {
      this.connected = false;
      if (!this.stopped && !this.lost) {
        this.lost = true;
        // in order with the messages taken before the loss
        this.chain = this.chain.then(() => this.linkLost()).catch((e: Error) => this.log(`sparkplug host ${c.name}: ${e.message}`));
      }
      // the next connection is a new host session: its will and birth carry a new timestamp (3.0)
      this.sessionTs = Date.now();
      if (client.options.will) client.options.will.payload = Buffer.from(statePayload(false, this.sessionTs));
    });
    client.on('error', (e) => {
      this.lastError = e.message;
    });
    client.on('message', (topic, payload) => {
      this.chain = this.chain.then(() => this.take(topic, payload)).catch((e: Error) => this.log(`sparkplug host ${c.name}: ${e.message}`));
    });
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
  }

  private async online(client: MqttClient): Promise<void> {
    const c = this.config;
    try {
      await client.subscribeAsync([stateTopic(c.host_id), ...groupIds(c.group_ids).map(groupFilter)], { qos: 1 });
      // a stop that came while subscribing has published the death: a birth now would outlive it
      if (this.stopped) return;
      await client.publishAsync(stateTopic(c.host_id), statePayload(true, this.sessionTs), { qos: 1, retain: true });
      this.connected = true;
      this.lastError = null;
      if (this.lost) {
        this.lost = false;
        // back after an outage: every node known to this host is asked for its birth (an edge that follows our STATE
        // births again on its own; one that does not is asked here, and again by its first data, see sessions.ts)
        for (const s of this.sessions.nodes.values()) {
          s.lastRebirth = Date.now();
          await client.publishAsync(ncmdTopic(s.group, s.node), rebirthPayload(), { qos: 0 }).catch((e: Error) => this.log(`rebirth request to ${s.group}/${s.node}: ${e.message}`));
        }
      }
    } catch (e) {
      this.lastError = (e as Error).message;
    }
  }

  private async take(topic: string, payload: Buffer): Promise<void> {
    if (topic === stateTopic(this.config.host_id)) {
      // our own death seen while we are connected (a late will of an earlier session): say we are online again
      const state = safeJson(payload.toString());
      if (state && state.online === false && this.client?.connected && !this.stopped) {
        await this.client.publishAsync(topic, statePayload(true, this.sessionTs), { qos: 1, retain: true }).catch(() => undefined);
      }
      return;
    }
    const t = parseTopic(topic);
    if (!t || t.type === 'NCMD' || t.type === 'DCMD') return;
    let p;
    try {
      p = decode(payload);
    } catch (e) {
      this.log(`sparkplug host ${this.config.name}: undecodable ${t.type} on ${topic}: ${(e as Error).message}`);
      return;
    }
    const { session, outcome } = await this.sessions.take(t, p);
    if (outcome.note) this.log(`sparkplug host ${this.config.name}: ${outcome.note}`);
    try {
      this.observer?.(this.config.id, t, p, session);
    } catch (e) {
      this.log(`sparkplug host ${this.config.name}: ${t.type} from ${t.group}/${t.node}: ${(e as Error).message}`);
    }
    for (const s of outcome.samples) this.pending.push(s);
    this.remember(outcome.samples);
    if (outcome.device) await this.store.saveDevice(session.siteId, outcome.device);
    if (t.type === 'NBIRTH' || t.type === 'NDEATH') {
      // online/offline is written at once (the API shows it); counters follow with the batches
      await this.store.saveHealth(session.siteId, session.health);
      if (t.type === 'NDEATH') for (const d of session.devices.values()) await this.store.saveDevice(session.siteId, d);
    } else this.dirtySites.add(session);
    if (outcome.rebirth && this.client?.connected) {
      await this.client.publishAsync(ncmdTopic(t.group, t.node), rebirthPayload(), { qos: 0 }).catch((e: Error) => this.log(`rebirth request to ${t.group}/${t.node}: ${e.message}`));
    }
    if (this.pending.length >= FLUSH_ROWS) void this.flush();
  }

  /**
   * The broker is lost: this host can no longer know any edge's state (Sparkplug 3.0 host rules), so every session
   * ends (offline, no seq expected) until the node's next birth; the loss is not the edge's death (last_death stays).
   */
  private async linkLost(): Promise<void> {
    this.log(`sparkplug host ${this.config.name}: broker connection lost, its sites are unknown until they are born again`);
    for (const s of this.sessions.nodes.values()) {
      if (!s.health.online) continue;
      s.health.online = false;
      s.expectedSeq = null;
      for (const d of s.devices.values()) d.online = false;
      await this.store.saveHealth(s.siteId, s.health).catch((e: Error) => this.log(`sparkplug host ${this.config.name}: ${e.message}`));
    }
    try {
      this.brokerLost?.(this.config.id);
    } catch (e) {
      this.log(`sparkplug host ${this.config.name}: broker lost: ${(e as Error).message}`);
    }
  }

  /** the broker connection is lost and not yet back: the sites' state is unknown */
  get linkDown(): boolean {
    return this.lost;
  }

  private remember(samples: readonly CentralSample[]): void {
    for (const s of samples) {
      const cur = this.latest.get(s.metric_id);
      if (cur && cur.ts > s.ts) continue;
      const v = { metric_id: s.metric_id, ts: s.ts, num: s.num, text: s.text };
      this.latest.set(s.metric_id, v);
      this.latestDirty.set(s.metric_id, v);
    }
  }

  /** the newest value of a metric this host received since it started */
  latestOf(metricId: number): LatestValue | undefined {
    return this.latest.get(metricId);
  }

  /** the node session of a site, while this host has one */
  sessionOf(siteId: number): NodeSession | undefined {
    for (const s of this.sessions.nodes.values()) if (s.siteId === siteId) return s;
    return undefined;
  }

  get isConnected(): boolean {
    return this.connected && !!this.client?.connected;
  }

  /**
   * Publishes a command writing one metric (Sparkplug 3.0: DCMD to a device's metric, NCMD to the node's own; QoS 0,
   * no seq; by alias when the birth gave one). The caller has checked the session, the device and Writable.
   */
  async command(session: NodeSession, metric: { device_id: string; name: string; alias: number | null; datatype: string }, value: number | boolean | string): Promise<string> {
    const client = this.client;
    if (!client?.connected) throw new Error(`the host ${this.config.name} is not connected to its broker`);
    const topic = metric.device_id ? dcmdTopic(session.group, session.node, metric.device_id) : ncmdTopic(session.group, session.node);
    await client.publishAsync(topic, commandPayload(metric, value), { qos: 0 });
    return topic;
  }

  healthOf(siteId: number): SiteHealth | undefined {
    for (const s of this.sessions.nodes.values()) if (s.siteId === siteId) return s.health;
    return undefined;
  }

  /** Writes what is pending (one write at a time); `all` also writes latest values and counters now. */
  flush(all = false): Promise<void> {
    if (this.flushing) return all ? this.flushing.then(() => this.flush(true)) : this.flushing;
    this.flushing = this.write(all).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async write(all: boolean): Promise<void> {
    const now = Date.now();
    const withLatest = all || now - this.lastLatestFlush >= LATEST_EVERY_MS;
    if (!this.pending.length && !withLatest) return;
    const samples = this.pending.length > this.batchRows ? this.pending.splice(0, this.batchRows) : this.pending;
    if (samples === this.pending) this.pending = [];
    const latest = withLatest ? [...this.latestDirty.values()] : [];
    if (withLatest) this.latestDirty = new Map();
    try {
      const t = performance.now();
      await this.store.write(samples, latest);
      const ms = performance.now() - t;
      this.written += samples.length;
      // only a full step says what the store can take (a small one is mostly commit latency)
      if (samples.length >= this.batchRows / 2 && ms > 0) {
        const rows = (samples.length / ms) * WRITE_TARGET_MS;
        this.batchRows = Math.round(Math.min(WRITE_MAX, Math.max(WRITE_MIN, (this.batchRows + rows) / 2)));
      }
      // a backlog: the next step at once, not at the next tick
      if (this.pending.length >= FLUSH_ROWS && !this.stopped) setImmediate(() => void this.flush());
      if (withLatest) {
        this.lastLatestFlush = now;
        const sites = [...this.dirtySites];
        this.dirtySites.clear();
        for (const s of sites) await this.store.saveHealth(s.siteId, s.health);
      }
    } catch (e) {
      this.lastError = `central store: ${(e as Error).message}`;
      this.log(`sparkplug host ${this.config.name}: writing ${samples.length} samples failed, kept for the next try: ${(e as Error).message}`);
      this.pending = samples.concat(this.pending);
      for (const l of latest) if (!this.latestDirty.has(l.metric_id)) this.latestDirty.set(l.metric_id, l);
      if (this.pending.length > MAX_PENDING) {
        const over = this.pending.length - MAX_PENDING;
        this.pending.splice(0, over);
        this.dropped += over;
      }
    }
  }

  status(): HostStatus {
    return {
      id: this.config.id,
      name: this.config.name,
      host_id: this.config.host_id,
      connected: this.connected,
      last_error: this.lastError,
      groups: groupIds(this.config.group_ids),
      pending_samples: this.pending.length,
      dropped_samples: this.dropped,
      written_samples: this.written,
      batch_rows: this.batchRows,
    };
  }

  /** Publishes the STATE death, disconnects, and writes what it holds. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    if (client) {
      if (client.connected) await client.publishAsync(stateTopic(this.config.host_id), statePayload(false, this.sessionTs), { qos: 1, retain: true }).catch(() => undefined);
      await client.endAsync().catch(() => undefined);
    }
    await this.chain.catch(() => undefined);
    // everything it holds, step by step, as long as the store takes it
    for (let before = Infinity; this.pending.length < before; ) {
      before = this.pending.length;
      await this.flush(true).catch(() => undefined);
      if (!this.pending.length) break;
    }
  }
}

function safeJson(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
