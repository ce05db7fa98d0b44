/**
 * The live stream: WebSocket /api/live. A client authenticates (first message, or the API's headers on the
 * upgrade request), subscribes to point ids, gets their current values at once and then batched changes,
 * at most one message per BATCH_MS, coalesced per point. A client that does not read fast enough has its
 * pending values replaced by newer ones (memory bounded by its subscription) and is dropped after a while.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/service';
import type { Feature, RuntimeContext } from '../feature';
import { statusFields } from '../status';
import type { PointValue } from '../values/bus';

export const BATCH_MS = 100;
const AUTH_TIMEOUT_MS = 5000;
const STATUS_EVERY_MS = 5000;
/** a client with more than this unsent in its socket gets nothing new until it drains... */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** ...and is disconnected when it stays congested this long */
const MAX_CONGESTED_MS = 15_000;
const MAX_SUBSCRIPTION = 100_000;

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_TOO_SLOW = 4408;

const wire = (v: PointValue) => ({ point_id: v.point_id, value: v.value, quality: v.quality, utc_date_time: new Date(v.ts).toISOString() });

class LiveClient {
  principal: Principal | null = null;
  readonly subscribed = new Set<number>();
  private pending = new Map<number, PointValue>();
  private timer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private congestedSince: number | null = null;

  constructor(readonly socket: WebSocket) {}

  send(msg: unknown): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  queue(v: PointValue): void {
    this.pending.set(v.point_id, v);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), Math.max(0, this.lastSent + BATCH_MS - Date.now()));
  }

  private flush(): void {
    this.timer = null;
    if (!this.pending.size || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      const now = Date.now();
      this.congestedSince ??= now;
      if (now - this.congestedSince > MAX_CONGESTED_MS) {
        this.socket.close(CLOSE_TOO_SLOW, 'client too slow');
        return;
      }
      this.timer = setTimeout(() => this.flush(), BATCH_MS);
      return;
    }
    this.congestedSince = null;
    const values = [...this.pending.values()].map(wire);
    this.pending = new Map();
    this.lastSent = Date.now();
    this.send({ type: 'values', values });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}

export class LiveHub {
  readonly clients = new Set<LiveClient>();

  constructor(private readonly ctx: RuntimeContext) {}

  /** Sends a message to every authenticated client (alarms, status). */
  broadcast(msg: object): void {
    for (const c of this.clients) if (c.principal) c.send(msg);
  }

  onValues = (batch: readonly PointValue[]): void => {
    for (const c of this.clients) {
      if (!c.principal || !c.subscribed.size) continue;
      for (const v of batch) if (c.subscribed.has(v.point_id)) c.queue(v);
    }
  };

  attach(socket: WebSocket, headers: Record<string, string | string[] | undefined>): void {
    const client = new LiveClient(socket);
    this.clients.add(client);
    const authenticate = (principal: Principal) => {
      client.principal = principal;
      clearTimeout(authTimer);
      client.send({ type: 'ready', user: principal.userName });
    };
    const authTimer = setTimeout(() => {
      if (!client.principal) socket.close(CLOSE_UNAUTHORIZED, 'authenticate first');
    }, AUTH_TIMEOUT_MS);
    if (headers['user-uuid'] || headers['api-key']) {
      try {
        authenticate(this.ctx.auth.authenticate(headers));
      } catch {
        socket.close(CLOSE_UNAUTHORIZED, 'invalid credentials');
      }
    }
    socket.on('message', (data) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(String(data));
      } catch {
        client.send({ type: 'error', message: 'messages must be JSON' });
        return;
      }
      if (!client.principal) {
        if (msg.type !== 'auth') {
          socket.close(CLOSE_UNAUTHORIZED, 'authenticate first');
          return;
        }
        try {
          authenticate(
            typeof msg.api_key === 'string' ? this.ctx.auth.byApiKey(msg.api_key) : this.ctx.auth.bySession(String(msg.user_uuid ?? ''), String(msg.token ?? '')),
          );
        } catch {
          socket.close(CLOSE_UNAUTHORIZED, 'invalid credentials');
        }
        return;
      }
      const ids = Array.isArray(msg.point_ids) ? msg.point_ids.filter((x): x is number => Number.isInteger(x) && (x as number) > 0) : [];
      if (msg.type === 'subscribe') {
        if (client.subscribed.size + ids.length > MAX_SUBSCRIPTION) {
          client.send({ type: 'error', message: `at most ${MAX_SUBSCRIPTION} points per connection` });
          return;
        }
        const snapshot: PointValue[] = [];
        for (const id of ids) {
          client.subscribed.add(id);
          const v = this.ctx.values.latest(id);
          if (v) snapshot.push(v);
        }
        if (snapshot.length) client.send({ type: 'values', values: snapshot.map(wire) });
      } else if (msg.type === 'unsubscribe') {
        for (const id of ids) client.subscribed.delete(id);
      } else if (msg.type === 'ping') {
        client.send({ type: 'pong' });
      } else {
        client.send({ type: 'error', message: `unknown message type ${String(msg.type)}` });
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
  app.get('/api/live', { websocket: true, config: { auth: 'public' } }, (socket, req) => hub.attach(socket as unknown as WebSocket, req.headers));
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
            if (hub.clients.size) hub.broadcast({ type: 'status', server_time: new Date().toISOString(), ...statusFields(ctx.status()) });
          }, STATUS_EVERY_MS);
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
