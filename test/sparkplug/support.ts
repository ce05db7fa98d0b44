/**
 * Sparkplug test peers: mosquitto with a persistent session store (so a subscriber's session and the messages
 * queued for it survive a broker restart: what the edge sends right after the restart is never missed by the test),
 * and a collector that decodes everything under spBv1.0/ with Eclipse Tahu's sparkplug-payload (not our decoder).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import * as sparkplug from 'sparkplug-payload';
import type { UPayload } from 'sparkplug-payload/lib/sparkplugbpayload';
import { freePort, login, serve, type Served } from '../support/process';
import { waitFor } from '../support/wait';

const tahu = sparkplug.get('spBv1.0')!;

export interface Broker {
  port: number;
  start(): Promise<void>;
  /** SIGTERM (mosquitto saves its sessions), waits for the exit */
  stop(): Promise<void>;
  remove(): Promise<void>;
}

/** Resolves once 127.0.0.1:port accepts a TCP connection, retrying every 50 ms until timeoutMs. */
async function accepting(port: number, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`mosquitto did not accept connections on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function broker(port: number): Broker {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-spb-broker-'));
  // mosquitto started as root runs as the user mosquitto: it must be able to write its session store here
  fs.chmodSync(dir, 0o777);
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\nmax_inflight_messages 0\nqueue_qos0_messages true\npersistence true\npersistence_location ${dir}/\nautosave_interval 1\nlog_type error\nlog_type notice\n`,
  );
  let child: ReturnType<typeof spawn> | null = null;
  return {
    port,
    async start() {
      const c = spawn('/usr/sbin/mosquitto', ['-c', conf, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let out = '';
      let seen = false;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`mosquitto did not start: ${out}`)), 30_000);
        const on = (d: Buffer) => {
          out += d.toString();
          // mosquitto prints these before it accepts connections (and while it restores a session store): the
          // broker counts as started once a TCP connection to its port succeeds
          if (!seen && /running|listen socket/.test(out)) {
            seen = true;
            clearTimeout(t);
            accepting(port, 30_000).then(resolve, reject);
          }
        };
        c.stdout!.on('data', on);
        c.stderr!.on('data', on);
        c.once('exit', (code) => {
          clearTimeout(t);
          reject(new Error(`mosquitto exited with ${code}: ${out}`));
        });
      });
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
    async remove() {
      await this.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SpbMessage {
  topic: string;
  type: string;
  device: string | null;
  payload: UPayload;
  /** the metrics' plain values: aliases and numbers as numbers */
  metrics: { name?: string; alias?: number; type: string; value: unknown; timestamp: number; isHistorical: boolean; properties: Record<string, unknown> }[];
  seq: number | null;
}

const num = (v: unknown): number => (v !== null && typeof v === 'object' && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v));

export interface Collector {
  messages: SpbMessage[];
  client: mqtt.MqttClient;
  of(type: string, device?: string): SpbMessage[];
  wait(what: string, ok: (msgs: SpbMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A persistent-session subscriber (QoS 1) to spBv1.0/#: it misses nothing across a broker restart. */
export async function collector(port: number, id: string): Promise<Collector> {
  const messages: SpbMessage[] = [];
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: id, clean: false, reconnectPeriod: 100 });
  client.on('message', (topic, payload) => {
    const parts = topic.split('/');
    if (parts[1] === 'STATE') return;
    const p = tahu.decodePayload(payload);
    messages.push({
      topic,
      type: parts[2],
      device: parts[4] ?? null,
      payload: p,
      seq: p.seq === undefined || p.seq === null ? null : num(p.seq),
      metrics: (p.metrics ?? []).map((m) => ({
        name: m.name ?? undefined,
        alias: m.alias === undefined || m.alias === null ? undefined : num(m.alias),
        type: m.type,
        value: typeof m.value === 'object' && m.value !== null && 'toNumber' in m.value ? num(m.value) : m.value,
        timestamp: num(m.timestamp),
        isHistorical: m.isHistorical === true,
        properties: Object.fromEntries(Object.entries((m.properties ?? {}) as Record<string, { value: unknown }>).map(([k, v]) => [k, typeof v.value === 'object' && v.value !== null && 'toNumber' in v.value ? num(v.value) : v.value])),
      })),
    });
  });
  await client.subscribeAsync('spBv1.0/#', { qos: 1 });
  return {
    messages,
    client,
    of: (type, device) => messages.filter((m) => m.type === type && (device === undefined || m.device === device)),
    wait: (what, ok, timeoutMs = 60_000) => waitFor(() => ok(messages), what, timeoutMs, 50).then(() => undefined),
    close: () => client.endAsync(true),
  };
}

/** The bdSeq metric of an NBIRTH or NDEATH (Int64 or UInt64), or null when it has none. */
export function bdSeqOf(m: SpbMessage): number | null {
  const b = m.metrics.find((x) => x.name === 'bdSeq');
  return b && (b.type === 'Int64' || b.type === 'UInt64') && typeof b.value === 'number' ? b.value : null;
}

/**
 * Checks the Sparkplug 3.0 session rules over what one edge node sent: seq 0 on NBIRTH, +1 mod 256 after; NBIRTH and
 * NDEATH carry a bdSeq (0..255), NDEATH no seq; an NDEATH ends the session only when its bdSeq is the current
 * NBIRTH's (a death of an earlier connection, e.g. a will the broker delivers late, is ignored, as a host does); a
 * device's DDATA only while it is born in the session (after its DBIRTH, before its DDEATH or a new NBIRTH).
 */
export function checkSequence(msgs: SpbMessage[]): string | null {
  let expected: number | null = null;
  let session: number | null = null;
  const born = new Set<string>();
  for (const m of msgs) {
    // commands come from hosts: they carry no edge sequence
    if (m.type === 'NCMD' || m.type === 'DCMD') continue;
    if (m.type === 'NDEATH') {
      if (m.seq !== null) return `NDEATH carries a seq (${m.seq})`;
      const bd = bdSeqOf(m);
      if (bd === null || bd < 0 || bd > 255) return `NDEATH without a bdSeq of 0..255 (${JSON.stringify(m.metrics)})`;
      if (bd === session) {
        expected = null;
        session = null;
      }
      continue;
    }
    if (m.type === 'NBIRTH') {
      if (m.seq !== 0) return `NBIRTH with seq ${m.seq}`;
      const bd = bdSeqOf(m);
      if (bd === null || bd < 0 || bd > 255) return `NBIRTH without a bdSeq of 0..255 (${JSON.stringify(m.metrics.find((x) => x.name === 'bdSeq'))})`;
      session = bd;
      expected = 1;
      born.clear();
      continue;
    }
    if (expected === null) return `${m.type} before any NBIRTH`;
    if (m.type === 'DBIRTH') born.add(m.device!);
    else if (m.type === 'DDEATH') born.delete(m.device!);
    else if (m.type === 'DDATA' && !born.has(m.device!)) return `DDATA of ${m.device} without its DBIRTH in this session`;
    if (m.seq !== expected) return `${m.type} ${m.device ?? ''} has seq ${m.seq}, expected ${expected}`;
    expected = (expected + 1) % 256;
  }
  return null;
}

export interface DirServer {
  served: Served;
  url: string;
  api<T = unknown>(method: string, route: string, data?: unknown): Promise<{ status: number; body: T }>;
}

/**
 * The server as users start it (child process) on a data directory that outlives it, logged in as the administrator:
 * killed (`served.stop('SIGKILL')`), it is started again on the same store. The caller removes the directory.
 */
export async function serveOn(dataDir: string, password: string, extraArgs: string[] = []): Promise<DirServer> {
  const served = await serve(['--port', String(await freePort()), '--data-dir', dataDir, '--empty', ...extraArgs], { SWITCHYARD_ADMIN_PASSWORD: password });
  let headers: Record<string, string>;
  try {
    ({ headers } = await login(served.url, 'administrator', password));
  } catch (e) {
    await served.stop('SIGKILL');
    throw e;
  }
  const api = async <T>(method: string, route: string, data?: unknown) => {
    const r = await fetch(`${served.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
  };
  return { served, url: served.url, api };
}

type Api = <T = unknown>(method: string, route: string, data?: unknown) => Promise<{ status: number; body: T }>;

/** POST through the API that must create the row: answers its id, or fails with the route and the answer. */
export const creator =
  (api: Api) =>
  async (route: string, body: Record<string, unknown>): Promise<number> => {
    const r = await api<{ id: number }>('POST', route, body);
    if (r.status !== 201) throw new Error(`POST ${route}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  };
