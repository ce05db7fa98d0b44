/**
 * The live stream: WebSocket /api/live. A client authenticates (first message, or the API's headers on the
 * upgrade request), subscribes to point ids, gets their current values at once and then batched changes,
 * at most one message per batch window, coalesced per point. A client that does not read fast enough has its
 * pending values replaced by newer ones (memory bounded by its subscription) and is dropped after a while.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../api/errors';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/service';
import type { Feature, RuntimeContext } from '../feature';
import { statusFields } from '../status';
import { seesAlarm, type AlarmRef } from '../alarms/subject';
import { VERSION } from '../version';
import type { PointValue, ValueBatch } from '../values/bus';
import type { WireValue } from '../../shared/live';

/** A user whose privilege narrows what it sees (administrators and users without a privilege see the plant). */
const limited = (p: Principal) => !p.isAdmin && p.spaces !== null;

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_TOO_SLOW = 4408;

export interface LiveLimits {
  /** at most one values message per client in this window */
  batchMs: number;
  /** a client that has not authenticated within this time is closed (4401) */
  authTimeoutMs: number;
  /** status messages (and the re-check of every client's credentials) this often */
  statusEveryMs: number;
  /** a client with more than this unsent in its socket gets nothing new until it drains... */
  maxBufferedBytes: number;
  /** ...and is closed (4408) when it stays congested this long */
  maxCongestedMs: number;
  /** point ids one connection may subscribe to */
  maxSubscription: number;
  /** a subscription's current values go out in values messages of this many points, one per turn of the event loop */
  snapshotChunk: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = {
  batchMs: 100,
  authTimeoutMs: 5000,
  statusEveryMs: 5000,
  maxBufferedBytes: 1024 * 1024,
  maxCongestedMs: 15_000,
  maxSubscription: 100_000,
  snapshotChunk: 2000,
};

type Credentials = { apiKey: string } | { uuid: string; token: string };

/** a value's JSON on the wire, made once per value however many clients receive it */
const encoded = new WeakMap<PointValue, string>();
function encode(v: PointValue): string {
  let text = encoded.get(v);
  if (text === undefined) {
    const wire: WireValue = { point_id: v.point_id, value: v.value, quality: v.quality, utc_date_time: new Date(v.ts).toISOString() };
    text = JSON.stringify(wire);
    encoded.set(v, text);
  }
  return text;
}
const objectsMessage = (values: Iterable<PointValue>) => {
  const parts: string[] = [];
  for (const v of values) parts.push(encode(v));
  return `{"type":"values","values":[${parts.join(',')}]}`;
};

/**
 * The values as columns (`/api/live?format=columns`): one array per field and the time as milliseconds since the
 * epoch, so that a client parses a few arrays rather than an object and a date string per value; a quality or time
 * that every value of the message shares (a scan's values mostly do) is sent once, as a single value instead of an
 * array. 2,000 values of one scan are ~30 kB instead of ~190 kB, and far less of the page's CPU to receive.
 */
const columnsMessage = (values: Iterable<PointValue>) => {
  const ids: number[] = [];
  const vals: string[] = [];
  const qualities: string[] = [];
  const times: number[] = [];
  let oneQuality = true;
  let oneTime = true;
  for (const v of values) {
    if (ids.length) {
      oneQuality &&= v.quality === qualities[0];
      oneTime &&= v.ts === times[0];
    }
    ids.push(v.point_id);
    vals.push(JSON.stringify(v.value) ?? 'null');
    qualities.push(v.quality);
    times.push(v.ts);
  }
  const quality = oneQuality ? JSON.stringify(qualities[0]) : JSON.stringify(qualities);
  const time = oneTime ? String(times[0]) : `[${times.join(',')}]`;
  return `{"type":"values","format":"columns","point_id":[${ids.join(',')}],"value":[${vals.join(',')}],"quality":${quality},"utc_ms":${time}}`;
};

/** How a client wants its values messages: one object per value (the default) or columns. */
export type LiveFormat = 'objects' | 'columns';
export const LIVE_FORMATS: readonly LiveFormat[] = ['objects', 'columns'];

class LiveClient {
  principal: Principal | null = null;
  credentials: Credentials | null = null;
  readonly subscribed = new Set<number>();
  /** the newest value of every subscribed point changed since the last message: never more than the subscription */
  pending = new Map<number, PointValue>();
  private timer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private congestedSince: number | null = null;

  private readonly valuesMessage: (values: Iterable<PointValue>) => string;

  constructor(
    readonly socket: WebSocket,
    private readonly limits: LiveLimits,
    format: LiveFormat,
  ) {
    this.valuesMessage = format === 'columns' ? columnsMessage : objectsMessage;
  }

  send(msg: unknown): void {
    this.sendText(JSON.stringify(msg));
  }

  sendText(text: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(text);
  }

  /** subscribe and unsubscribe requests run one after another, each to its end (a large subscription takes several turns) */
  private requests: Promise<void> = Promise.resolve();

  serially(request: () => Promise<void> | void): void {
    this.requests = this.requests.then(request).catch(() => undefined);
  }

  /**
   * Subscribes to `ids` (those `canSee` allows; the others are named in an error message at the end) and sends their
   * current values, in parts of `snapshotChunk` points, one part per turn of the event loop: a subscription of
   * 100,000 points is ~9 MB of JSON, which as one message held the loop for its whole encoding. A point is subscribed
   * when its part is sent, and each part reads the values as they are then, so no change is ever followed by an older
   * value of its point; while the socket holds more than `maxBufferedBytes` the next part waits.
   */
  async subscribe(ids: readonly number[], canSee: (id: number) => boolean, latest: (id: number) => PointValue | undefined): Promise<void> {
    const refused = new Set<number>();
    for (let i = 0; i < ids.length; ) {
      if (this.socket.readyState !== this.socket.OPEN || !this.principal) return;
      if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
        await new Promise((r) => setTimeout(r, this.limits.batchMs));
        continue;
      }
      const part: PointValue[] = [];
      for (const end = Math.min(ids.length, i + this.limits.snapshotChunk); i < end; i++) {
        const id = ids[i];
        if (!canSee(id)) {
          refused.add(id);
          continue;
        }
        this.subscribed.add(id);
        const v = latest(id);
        if (v) part.push(v);
      }
      if (part.length) this.sendText(this.valuesMessage(part));
      if (i < ids.length) await new Promise((r) => setImmediate(r));
    }
    if (refused.size) this.send({ type: 'error', message: `your privilege does not include points ${[...refused].slice(0, 20).join(', ')}`, point_ids: [...refused] });
  }

  unsubscribe(ids: readonly number[]): void {
    for (const id of ids) {
      this.subscribed.delete(id);
      this.pending.delete(id);
    }
  }

  queue(v: PointValue): void {
    this.pending.set(v.point_id, v);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), Math.max(0, this.lastSent + this.limits.batchMs - Date.now()));
  }

  private flush(): void {
    this.timer = null;
    if (!this.pending.size || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      const now = Date.now();
      this.congestedSince ??= now;
      if (now - this.congestedSince > this.limits.maxCongestedMs) {
        this.pending.clear();
        this.socket.close(CLOSE_TOO_SLOW, 'client too slow');
        // a client that does not read does not read the close frame either
        setTimeout(() => this.socket.terminate(), 1000).unref();
        return;
      }
      this.timer = setTimeout(() => this.flush(), this.limits.batchMs);
      return;
    }
    this.congestedSince = null;
    const text = this.valuesMessage(this.pending.values());
    this.pending = new Map();
    this.lastSent = Date.now();
    this.sendText(text);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}

export class LiveHub {
  readonly clients = new Set<LiveClient>();

  constructor(
    private readonly ctx: RuntimeContext,
    readonly limits: LiveLimits = { ...DEFAULT_LIVE_LIMITS },
  ) {}

  /** The status message for one client: a privilege-limited one counts the alarms it may see. */
  statusMessage(principal?: Principal | null): object {
    return { type: 'status', version: VERSION, server_time: new Date().toISOString(), ...statusFields(this.ctx.status(principal ?? undefined)) };
  }

  /** Sends every authenticated client its status message. */
  broadcastStatus(): void {
    let shared: string | null = null;
    for (const c of this.clients) {
      if (!c.principal || c.socket.readyState !== c.socket.OPEN) continue;
      if (limited(c.principal)) c.socket.send(JSON.stringify(this.statusMessage(c.principal)));
      else c.socket.send((shared ??= JSON.stringify(this.statusMessage())));
    }
  }

  /** Sends a message to every authenticated client (alarms, status). */
  broadcast(msg: object): void {
    let text: string | null = null;
    for (const c of this.clients) {
      if (!c.principal || c.socket.readyState !== c.socket.OPEN) continue;
      const changed = (msg as { changed?: unknown }).changed;
      if (Array.isArray(changed) && this.ctx.access && limited(c.principal)) {
        // a privilege-limited client hears of its own alarms only (alarms/subject.ts), and its own count
        const p = c.principal;
        const mine = changed.filter((a: AlarmRef) => a && seesAlarm(this.ctx.access, p, a));
        if (!mine.length) continue;
        const own = 'summary' in msg ? this.ctx.status(p) : null;
        c.socket.send(JSON.stringify({ ...msg, changed: mine, ...(own ? { summary: { unacknowledged_alarms: own.unacknowledgedAlarms, highest_alarm_priority: own.highestAlarmPriority } } : {}) }));
        continue;
      }
      text ??= JSON.stringify(msg);
      c.socket.send(text);
    }
  }

  onValues = (batch: ValueBatch): void => {
    // one object per value sent, shared by every client that sends it (its JSON is made once: encode())
    let made: (PointValue | undefined)[] | null = null;
    for (const c of this.clients) {
      if (!c.principal || !c.subscribed.size) continue;
      for (let i = 0; i < batch.length; i++) if (c.subscribed.has(batch.id(i))) c.queue(((made ??= [])[i] ??= batch.at(i)));
    }
  };

  private check(credentials: Credentials): Principal {
    return 'apiKey' in credentials ? this.ctx.auth.byApiKey(credentials.apiKey) : this.ctx.auth.bySession(credentials.uuid, credentials.token);
  }

  /** Closes (4401) every client whose session ended (logout, expiry, locked account) since it authenticated. */
  recheckCredentials(): void {
    for (const c of this.clients) {
      if (!c.credentials) continue;
      try {
        c.principal = this.check(c.credentials);
      } catch {
        c.principal = null;
        c.socket.close(CLOSE_UNAUTHORIZED, 'session ended');
      }
    }
  }

  attach(socket: WebSocket, headers: Record<string, string | string[] | undefined>, format: LiveFormat = 'objects'): void {
    const client = new LiveClient(socket, this.limits, format);
    this.clients.add(client);
    const authenticate = (credentials: Credentials) => {
      try {
        client.principal = this.check(credentials);
      } catch {
        socket.close(CLOSE_UNAUTHORIZED, 'invalid credentials');
        return;
      }
      client.credentials = credentials;
      clearTimeout(authTimer);
      client.send({ type: 'ready', user: client.principal.userName });
      // the status bar has something to show at once, not only after the first tick
      client.send(this.statusMessage(client.principal));
    };
    const authTimer = setTimeout(() => {
      if (!client.principal) socket.close(CLOSE_UNAUTHORIZED, 'authenticate first');
    }, this.limits.authTimeoutMs);
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const apiKeyHeader = header('api-key');
    const uuidHeader = header('user-uuid');
    if (apiKeyHeader) authenticate({ apiKey: apiKeyHeader });
    else if (uuidHeader) authenticate({ uuid: uuidHeader, token: header('token') ?? '' });

    socket.on('message', (data) => {
      let msg: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(String(data));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        msg = parsed as Record<string, unknown>;
      } catch {
        if (!client.principal) socket.close(CLOSE_UNAUTHORIZED, 'authenticate first');
        else client.send({ type: 'error', message: 'messages must be JSON objects' });
        return;
      }
      if (!client.principal) {
        if (msg.type !== 'auth') socket.close(CLOSE_UNAUTHORIZED, 'authenticate first');
        else authenticate(typeof msg.api_key === 'string' ? { apiKey: msg.api_key } : { uuid: String(msg.user_uuid ?? ''), token: String(msg.token ?? '') });
        return;
      }
      if (msg.type === 'subscribe' || msg.type === 'unsubscribe') {
        if (!Array.isArray(msg.point_ids) || !msg.point_ids.every((x) => Number.isInteger(x) && (x as number) > 0)) {
          client.send({ type: 'error', message: 'point_ids must be an array of positive integers' });
          return;
        }
        const ids = msg.point_ids as number[];
        if (msg.type === 'unsubscribe') {
          client.serially(() => client.unsubscribe(ids));
          return;
        }
        client.serially(() => {
          // the bound counts what is subscribed when the request runs (an earlier one may still be under way)
          let added = 0;
          for (const id of ids) if (!client.subscribed.has(id)) added++;
          if (client.subscribed.size + added > this.limits.maxSubscription && new Set([...client.subscribed, ...ids]).size > this.limits.maxSubscription) {
            client.send({ type: 'error', message: `at most ${this.limits.maxSubscription} points per connection` });
            return;
          }
          // a privilege-limited user gets the values of the points it reaches only
          const access = this.ctx.access;
          const canSee = access ? (id: number) => client.principal !== null && access.canSee(client.principal, 'points', id) : () => true;
          return client.subscribe(ids, canSee, (id) => this.ctx.values.latest(id));
        });
      } else if (msg.type === 'ping') {
        client.send({ type: 'pong' });
      } else if (msg.type !== 'auth') {
        client.send({ type: 'error', message: `unknown message type ${JSON.stringify(msg.type)}` });
      }
    });
    socket.on('close', () => {
      clearTimeout(authTimer);
      client.close();
      this.clients.delete(client);
    });
    socket.on('error', () => socket.terminate());
  }
}

function registerLiveRoute(app: FastifyInstance, hub: LiveHub): void {
  const formatOf = (query: unknown) => (query as { format?: unknown } | undefined)?.format ?? 'objects';
  app.get(
    '/api/live',
    {
      websocket: true,
      config: { auth: 'public' },
      // checked before the upgrade: an unknown format is a 400 naming the field
      preValidation: async (req) => {
        const format = formatOf(req.query);
        if (!LIVE_FORMATS.includes(format as LiveFormat)) throw badRequest('API.INVALID_FORMAT', `format must be one of ${LIVE_FORMATS.join(', ')}`, 'format');
      },
    },
    (socket, req) => hub.attach(socket as unknown as WebSocket, req.headers, formatOf(req.query) as LiveFormat),
  );
}

export const liveFeature: Feature = {
  name: 'live',
  compose(ctx) {
    const hub = new LiveHub(ctx);
    ctx.services.set('live', hub);
    registerLiveRoute(ctx.app, hub);
    let unsubscribe: (() => void) | null = null;
    let statusTimer: NodeJS.Timeout | null = null;
    return [
      {
        name: 'live',
        start() {
          unsubscribe = ctx.values.subscribe(hub.onValues);
          statusTimer = setInterval(() => {
            if (!hub.clients.size) return;
            hub.recheckCredentials();
            hub.broadcastStatus();
          }, hub.limits.statusEveryMs);
        },
        stop() {
          unsubscribe?.();
          if (statusTimer) clearInterval(statusTimer);
          for (const c of hub.clients) c.socket.close(1001, 'server stopping');
        },
      },
    ];
  },
};
