/**
 * The OpenADR MQTT notifier: every notification (notify.ts) published as JSON, QoS 1, on the topics of
 * mqtt-topics.ts, either through the embedded broker (aedes, as the demo plant uses) or through a configured broker
 * (e.g. mosquitto). Configured at run time (setting `dr.mqtt`, PUT /api/dr/mqtt), no restart needed.
 *
 * - embedded: aedes on host:port (127.0.0.1 unless configured). Clients log in with their OAuth2 client id as user
 *   name and an access token (or their client secret) as password (the specification's OAUTH2_BEARER_TOKEN
 *   method, user name "{clientID}"); a VEN may subscribe only below its own vens/{venID}/, the business logic to
 *   everything; nobody but the VTN publishes.
 * - broker: the VTN connects to the URL (user name and password optional) and publishes; the broker's own ACLs
 *   keep partners apart (one pattern per client: <prefix>/vens/<venID>/#), and the authentication advertised in
 *   /notifiers is the one configured (ANONYMOUS unless told otherwise).
 * MQTT deliveries are not kept in the outbox: a subscriber that was away reads the objects through the API. A
 * connection is admitted with the credentials it connected with; it stays until it closes.
 */
import net from 'node:net';
import type { Aedes } from 'aedes';
import type { MqttClient } from 'mqtt';
import { secretHash } from '../auth/passwords';
import type { Db } from '../store/store';
import type { Settings } from '../store/settings';
import { blTopics, venMaySubscribe, venTopic } from './mqtt-topics';
import { type Change, type NotificationSink, notification } from './notify';

export interface MqttConfig {
  mode: 'off' | 'embedded' | 'broker';
  /** broker: the URL the VTN connects to */
  url?: string;
  username?: string;
  password?: string;
  /** embedded: where the broker listens (port 0: any free port) */
  host?: string;
  port?: number;
  /** the URIs advertised to clients in /notifiers (default: the broker's or the embedded listener's) */
  uris?: string[];
  /** broker: the authentication advertised in /notifiers */
  authentication?: Record<string, unknown>;
  prefix?: string;
}

export const SETTING = 'dr.mqtt';
const DEFAULT_PREFIX = 'openadr3';

interface Partner {
  id: number;
  uuid: string;
  role: 'ven' | 'bl';
  ven_name: string | null;
}

export class MqttNotifier implements NotificationSink {
  private config: MqttConfig = { mode: 'off' };
  private broker: Aedes | null = null;
  private server: net.Server | null = null;
  private client: MqttClient | null = null;
  private listening: { host: string; port: number } | null = null;
  private lastError: string | null = null;
  private published = 0;

  constructor(
    private readonly db: Db,
    private readonly settings: Settings,
    private readonly log: (line: string) => void,
  ) {}

  get prefix(): string {
    return this.config.prefix || DEFAULT_PREFIX;
  }
  get enabled(): boolean {
    return this.config.mode !== 'off';
  }

  /** The saved configuration (starts the notifier as configured). */
  async start(): Promise<void> {
    const text = this.settings.get(SETTING);
    if (!text) return;
    try {
      await this.apply(JSON.parse(text) as MqttConfig);
    } catch (e) {
      this.lastError = (e as Error).message;
      this.log(`dr: MQTT notifier: ${this.lastError}`);
    }
  }

  /** Applies a new configuration: the previous broker or connection is closed first. */
  async apply(config: MqttConfig): Promise<void> {
    await this.stop();
    this.config = config;
    this.lastError = null;
    if (config.mode === 'embedded') await this.startEmbedded(config.host ?? '127.0.0.1', config.port ?? 0);
    else if (config.mode === 'broker') await this.connect(config);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync(true).catch(() => undefined);
    const broker = this.broker;
    const server = this.server;
    this.broker = null;
    this.server = null;
    this.listening = null;
    if (broker) await new Promise<void>((r) => broker.close(() => r()));
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private partnerByLogin(username: string | undefined, password: Buffer | undefined): Partner | null {
    if (!username || !password) return null;
    const p = this.db.prepare('SELECT id, uuid, role, ven_name, key_hash FROM dr_partners WHERE client_id = ?').get(username) as (Partner & { key_hash: string }) | undefined;
    if (!p) return null;
    const hash = secretHash(password.toString('utf8'));
    const token = this.db.prepare('SELECT expires_at FROM dr_partner_tokens WHERE token_hash = ? AND partner_id = ?').get(hash, p.id) as { expires_at: string } | undefined;
    return p.key_hash === hash || (token && Date.parse(token.expires_at) > Date.now()) ? p : null;
  }

  private async startEmbedded(host: string, port: number): Promise<void> {
    // aedes and mqtt are imported when MQTT notification is configured, not at start-up (seconds on a busy machine)
    const { Aedes } = await import('aedes');
    const broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const p = this.partnerByLogin(username, password);
        if (!p) {
          const e = Object.assign(new Error('bad user name or password'), { returnCode: 4 as const });
          return done(e, false);
        }
        (client as unknown as { partner: Partner }).partner = p;
        done(null, true);
      },
      authorizeSubscribe: (client, sub, done) => {
        const p = (client as unknown as { partner?: Partner }).partner;
        if (p && (p.role === 'bl' || venMaySubscribe(this.prefix, p.uuid, sub.topic))) return done(null, sub);
        // refused: the client's SUBACK carries the failure code for this filter
        done(null, null);
      },
      authorizePublish: (client, _packet, done) => done(client ? new Error('only the VTN publishes here') : null),
    });
    const server = net.createServer(broker.handle);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    } catch (e) {
      await new Promise<void>((r) => broker.close(() => r()));
      throw e;
    }
    this.broker = broker;
    this.server = server;
    this.listening = { host, port: (server.address() as net.AddressInfo).port };
  }

  private async connect(config: MqttConfig): Promise<void> {
    const { default: mqtt } = await import('mqtt');
    const client = mqtt.connect(config.url!, {
      username: config.username,
      password: config.password,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      clientId: `switchyard-vtn-${Math.random().toString(16).slice(2, 10)}`,
    });
    client.on('error', (e) => {
      if (this.lastError !== e.message) this.log(`dr: MQTT notifier broker ${config.url}: ${e.message}`);
      this.lastError = e.message;
    });
    client.on('connect', () => {
      this.lastError = null;
    });
    this.client = client;
  }

  /** The MQTT binding of /notifiers (mqttNotifierBindingObject), or null when MQTT is off. */
  binding(): { URIS: string[]; serialization: 'JSON'; authentication: Record<string, unknown> } | null {
    if (!this.enabled) return null;
    const uris = this.config.uris?.length ? this.config.uris : this.config.mode === 'broker' ? [this.config.url!] : this.listening ? [`mqtt://${this.listening.host}:${this.listening.port}`] : [];
    const authentication = this.config.mode === 'embedded' ? { method: 'OAUTH2_BEARER_TOKEN', username: '{clientID}' } : (this.config.authentication ?? { method: 'ANONYMOUS' });
    return { URIS: uris, serialization: 'JSON', authentication };
  }

  status() {
    return {
      mode: this.config.mode,
      connected: this.config.mode === 'embedded' ? this.listening !== null : this.config.mode === 'broker' ? Boolean(this.client?.connected) : false,
      port: this.listening?.port ?? null,
      last_error: this.lastError,
      published: this.published,
      binding: this.binding(),
    };
  }

  publish(change: Change): void {
    if (!this.enabled || (!this.broker && !this.client)) return;
    const messages: [string, unknown][] = blTopics(this.prefix, change).map((t) => [t, notification(change, null)]);
    const vens = this.db.prepare("SELECT id, uuid FROM dr_partners WHERE role = 'ven'").all() as { id: number; uuid: string }[];
    for (const v of vens) {
      const topic = venTopic(this.prefix, v.uuid, change);
      if (topic && change.sees(v.id)) messages.push([topic, notification(change, v.id)]);
    }
    for (const [topic, body] of messages) this.send(topic, JSON.stringify(body));
  }

  private send(topic: string, payload: string): void {
    this.published++;
    if (this.broker) {
      this.broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, (e) => {
        if (e) this.lastError = e.message;
      });
    } else {
      this.client?.publish(topic, payload, { qos: 1 }, (e) => {
        if (e) this.lastError = e.message;
      });
    }
  }
}
