/**
 * The Sparkplug host end to end, in the server as users start it (child process), against mosquitto and a
 * PostgreSQL cluster started by the test (`--database`), and again on the SQLite default: a test edge node
 * (sparkplug-payload + mqtt, not the code under test) is born, publishes, skips a sequence number, sends history
 * and dies; the central API and the broker show what a Sparkplug 3.0 host must do.
 */
import mqtt from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, startMosquitto, type Peer } from '../peers/peers';
import { hasPostgres, startPostgres, type PostgresPeer } from '../peers/postgres';
import { freePort, login } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';
import { TestEdge, codec } from './edge';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');
hasPostgres();

interface Site {
  id: number;
  group_id: string;
  edge_node_id: string;
  online: boolean;
  bd_seq: number | null;
  seq_gaps: number;
  rebirths: number;
  values_received: number;
  last_birth: string | null;
  last_death: string | null;
  devices_online: number;
}
interface MetricOut {
  id: number;
  device_id: string | null;
  name: string;
  unit: string | null;
  value: number | string | null;
  utc_date_time: string | null;
}

const METER = [
  { name: 'Active power', alias: 10, type: 'Double' as const, value: 1.25, unit: 'kW' },
  { name: 'Breaker closed', alias: 11, type: 'Boolean' as const, value: true },
  { name: 'Mode', alias: 12, type: 'String' as const, value: 'auto' },
];

for (const backend of ['postgresql', 'sqlite'] as const) {
  describe(`Sparkplug host on ${backend}`, { timeout: 240_000 }, () => {
    let broker: Peer;
    let brokerUrl: string;
    let db: PostgresPeer | null = null;
    let server: ApiServer;
    let watcher: mqtt.MqttClient;
    const seen: { topic: string; payload: Buffer; retain: boolean }[] = [];
    let edge: TestEdge;
    let siteId = 0;

    const sites = async () => (await server.api<Site[]>('GET', '/central/sites')).body;
    const site = async (node = 'edge-1') => (await sites()).find((s) => s.edge_node_id === node);
    const metrics = async (id = siteId) => (await server.api<MetricOut[]>('GET', `/central/sites/${id}/metrics`)).body;
    const metric = async (name: string) => (await metrics()).find((m) => m.name === name);

    beforeAll(async () => {
      const port = await freePort();
      broker = await startMosquitto(port);
      brokerUrl = `mqtt://127.0.0.1:${port}`;
      watcher = await mqtt.connectAsync(brokerUrl, { reconnectPeriod: 500 });
      watcher.on('message', (topic, payload, packet) => seen.push({ topic, payload, retain: packet.retain }));
      await watcher.subscribeAsync(['spBv1.0/STATE/#', 'spBv1.0/+/NCMD/#'], { qos: 1 });
      let args: string[] = [];
      if (backend === 'postgresql') {
        db = await startPostgres();
        args = ['--database', db.url];
      }
      server = await startServer('--empty', args);
      const created = await server.api<{ id: number }>('POST', '/sparkplughosts', { name: 'Control room', broker_url: brokerUrl, host_id: `central-${backend}`, group_ids: 'Plants, Spare', username: 'central', password: 'not-shown' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      // MQTT has no password without a user name: refused, naming the field
      const lone = await server.api<{ field: string }>('PUT', `/sparkplughosts/${created.body.id}`, { username: null });
      expect(lone.status).toBe(400);
      expect(lone.body.field).toBe('username');
      edge = new TestEdge(brokerUrl, 'Plants', 'edge-1');
      await edge.connect();
    });
    afterAll(async () => {
      await edge?.end();
      await server?.stop();
      await watcher?.endAsync(true).catch(() => undefined);
      await broker?.stop();
      await db?.stop();
    });

    it('publishes its STATE birth, retained, as 3.0 JSON; keeps the password write-only', async () => {
      const state = await waitFor(() => seen.find((m) => m.topic === `spBv1.0/STATE/central-${backend}` && JSON.parse(m.payload.toString()).online === true), 'the STATE birth', 30_000, 50);
      const body = JSON.parse(state.payload.toString()) as { online: boolean; timestamp: number };
      expect(Number.isInteger(body.timestamp)).toBe(true);
      expect(Math.abs(body.timestamp - Date.now())).toBeLessThan(120_000);
      // retained: a client connecting later gets it
      const late = await mqtt.connectAsync(brokerUrl);
      const got = new Promise<{ retain: boolean; text: string }>((resolve) => late.on('message', (_t, p, packet) => resolve({ retain: packet.retain, text: p.toString() })));
      await late.subscribeAsync(`spBv1.0/STATE/central-${backend}`);
      expect(await got).toMatchObject({ retain: true });
      await late.endAsync();
      const hosts = (await server.api<Record<string, unknown>[]>('GET', '/sparkplughosts')).body;
      expect(hosts[0].password).toBeUndefined();
      const status = (await server.api<{ store: string; hosts: { connected: boolean }[] }>('GET', '/central/status')).body;
      expect(status.store).toBe(backend);
      expect(status.hosts[0].connected).toBe(true);
    });

    it('shows a born edge online and a DDATA value within 2 s', async () => {
      await edge.nbirth([{ name: 'Uptime', alias: 1, type: 'Int32', value: 5 }]);
      await edge.dbirth('meter-1', METER);
      const s = await waitFor(async () => {
        const x = await site();
        return x?.online && x.devices_online === 1 && x;
      }, 'the site online', 30_000, 50);
      siteId = s.id;
      expect(s).toMatchObject({ group_id: 'Plants', bd_seq: 0, seq_gaps: 0, rebirths: 0 });
      expect(await metric('Active power')).toMatchObject({ device_id: 'meter-1', unit: 'kW', value: 1.25 });
      expect(await metric('Mode')).toMatchObject({ value: 'auto' });
      expect(await metric('Breaker closed')).toMatchObject({ value: 1 });

      const sent = Date.now();
      await edge.data('meter-1', [{ alias: 10, type: 'Double', value: 42.5 }]);
      await waitFor(async () => (await metric('Active power'))?.value === 42.5, 'the DDATA value at the API', 10_000, 20);
      const took = Date.now() - sent;
      expect(took).toBeLessThan(2_000);
      expect((await site())!.seq_gaps).toBe(0);
    });

    it('takes the groups it is given, and only those', async () => {
      const spare = new TestEdge(brokerUrl, 'Spare', 'edge-s');
      const outsider = new TestEdge(brokerUrl, 'Elsewhere', 'edge-x');
      await spare.connect();
      await outsider.connect();
      try {
        await outsider.nbirth([{ name: 'Uptime', alias: 1, type: 'Int32', value: 1 }]);
        await spare.nbirth([{ name: 'Uptime', alias: 1, type: 'Int32', value: 2 }]);
        // published after the outsider's birth (each acknowledged by the broker): once it is seen, so would that be
        await waitFor(async () => (await site('edge-s'))?.online, 'the edge of the second group online', 30_000, 50);
        expect((await sites()).map((x) => `${x.group_id}/${x.edge_node_id}`).sort()).toEqual(['Plants/edge-1', 'Spare/edge-s']);
      } finally {
        await spare.end();
        await outsider.end();
      }
    });

    it('asks for a rebirth on a sequence gap and on data from a node that was never born', async () => {
      const before = seen.length;
      await edge.data('meter-1', [{ alias: 10, type: 'Double', value: 43 }], (edge.seq + 5) % 256);
      const cmd = await waitFor(() => seen.slice(before).find((m) => m.topic === 'spBv1.0/Plants/NCMD/edge-1'), 'the rebirth NCMD on the broker', 15_000, 50);
      const metrics = codec.decodePayload(cmd.payload).metrics ?? [];
      expect(metrics).toEqual([expect.objectContaining({ name: 'Node Control/Rebirth', type: 'Boolean', value: true })]);
      await waitFor(async () => (await site())!.seq_gaps === 1, 'the gap counted', 10_000, 50);
      expect((await site())!.rebirths).toBe(1);
      // the edge answers with its births again; the session goes on
      expect(edge.commands.some((c) => c.metrics.some((m) => m.name === 'Node Control/Rebirth'))).toBe(true);
      await edge.nbirth([{ name: 'Uptime', alias: 1, type: 'Int32', value: 6 }]);
      await edge.dbirth('meter-1', METER);

      const stranger = new TestEdge(brokerUrl, 'Plants', 'edge-2');
      await stranger.connect();
      try {
        await stranger.data(null, [{ alias: 1, type: 'Double', value: 1 }]);
        await waitFor(() => seen.some((m) => m.topic === 'spBv1.0/Plants/NCMD/edge-2'), 'a rebirth request to the unborn node', 15_000, 50);
      } finally {
        await stranger.end();
      }
    });

    it('stores historical values in time order beside live ones, without moving the latest value back', async () => {
      const base = Date.now() - 3_600_000;
      await edge.data('meter-1', [{ alias: 10, type: 'Double', value: 50 }]);
      await waitFor(async () => (await metric('Active power'))?.value === 50, 'the live value', 10_000, 50);
      // store-and-forward replay: out of order within and across messages, flagged historical
      const hist = [5, 3, 9, 0, 7, 1, 8, 2, 6, 4];
      for (let i = 0; i < hist.length; i += 5) {
        await edge.data('meter-1', hist.slice(i, i + 5).map((k) => ({ alias: 10, type: 'Double' as const, value: 100 + k, timestamp: base + k * 1000, historical: true })));
      }
      const m = (await metric('Active power'))!;
      const q = `startdatetime=${new Date(base - 1000).toISOString()}&enddatetime=${new Date(base + 20_000).toISOString()}`;
      const h = await waitFor(async () => {
        const r = (await server.api<{ values: { utc_date_time: string; value: number; historical: boolean }[] }>('GET', `/central/sites/${siteId}/metrics/${m.id}/history?${q}`)).body;
        return r.values.length === 10 && r;
      }, 'the ten historical values', 15_000, 100);
      expect(h.values.map((v) => v.value)).toEqual([...Array(10).keys()].map((k) => 100 + k));
      expect(h.values.map((v) => Date.parse(v.utc_date_time))).toEqual([...Array(10).keys()].map((k) => base + k * 1000));
      expect(h.values.every((v) => v.historical)).toBe(true);
      expect((await metric('Active power'))!.value).toBe(50);
      // bad input is a 400 naming the field
      const bad = await server.api<{ field: string }>('GET', `/central/sites/${siteId}/metrics/${m.id}/history?startdatetime=yesterday`);
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('startdatetime');
      expect((await server.api('GET', `/central/sites/${siteId}/metrics/999999/history`)).status).toBe(404);
      expect((await server.api('GET', '/central/sites/999999')).status).toBe(404);
    });

    it('goes offline on NDEATH with the session bdSeq only; a device on DDEATH', async () => {
      await edge.ddeath('meter-1');
      await waitFor(async () => (await site())!.devices_online === 0, 'the device offline', 10_000, 50);
      await edge.ndeath(7); // an older session's death: ignored
      await edge.data(null, [{ alias: 1, type: 'Int32', value: 7 }]);
      await waitFor(async () => (await metric('Uptime'))?.value === 7, 'data after the stale death', 10_000, 50);
      expect((await site())!.online).toBe(true);
      await edge.ndeath();
      const s = await waitFor(async () => {
        const x = await site();
        return x && !x.online && x;
      }, 'the site offline', 10_000, 50);
      expect(s.last_death).not.toBeNull();
    });

    it('shows a user limited to spaces only the sites of hosts bound to one of them', async () => {
      const tz = (await server.api<{ id: number }[]>('GET', '/timezones')).body[0].id;
      const space = async (name: string) => (await server.api<{ id: number }>('POST', '/spaces', { name, area: 1, timezone_id: tz })).body.id;
      const north = await space('North');
      const priv = (await server.api<{ id: number }>('POST', '/privileges', { name: 'North only', data: JSON.stringify({ spaces: [north] }) })).body.id;
      const u = await server.api('POST', '/users', { name: 'nina', display_name: 'nina', email: 'nina@site.example', password: 'Operator-1', privilege_id: priv });
      expect(u.status, JSON.stringify(u.body)).toBe(201);
      const { headers } = await login(server.url, 'nina', 'Operator-1');
      const as = (route: string) => fetch(`${server.url}/api${route}`, { headers });
      expect(await (await as('/central/sites')).json()).toEqual([]);
      expect((await as(`/central/sites/${siteId}`)).status).toBe(403);
      expect((await as(`/central/sites/${siteId}/metrics`)).status).toBe(403);
      const host = (await server.api<{ id: number }[]>('GET', '/sparkplughosts')).body[0].id;
      expect((await server.api('PUT', `/sparkplughosts/${host}`, { space_id: north })).status).toBe(200);
      const seen = (await (await as('/central/sites')).json()) as { id: number }[];
      expect(seen.map((x) => x.id)).toContain(siteId);
      expect((await as(`/central/sites/${siteId}/metrics`)).status).toBe(200);
      expect((await fetch(`${server.url}/api/central/sites`)).status).toBe(401);
    });

    it('removes history older than the host configuration\'s retention as soon as it is set (PostgreSQL: drops the partitions)', async () => {
      // the host restarted with the configuration change above: born again once it listens (births repeated until then)
      let last = 0;
      await waitFor(async () => {
        const s = await site();
        if (s?.online && s.devices_online === 1) return true;
        if (Date.now() - last > 2_000) {
          last = Date.now();
          await edge.nbirth([{ name: 'Uptime', alias: 1, type: 'Int32', value: 8 }]);
          await edge.dbirth('meter-1', METER);
        }
        return false;
      }, 'the site online again', 60_000, 100);
      const DAY = 86_400_000;
      const old = [45, 44, 40].map((d) => Math.floor((Date.now() - d * DAY) / DAY) * DAY + 3_600_000);
      await edge.data('meter-1', old.map((ts, k) => ({ alias: 10, type: 'Double' as const, value: 500 + k, timestamp: ts, historical: true })));
      const m = (await metric('Active power'))!;
      const span = `startdatetime=${new Date(old[0] - DAY).toISOString()}&enddatetime=${new Date(Date.now() - 2 * DAY).toISOString()}`;
      const oldValues = async () => (await server.api<{ values: { value: number }[] }>('GET', `/central/sites/${siteId}/metrics/${m.id}/history?${span}`)).body.values.map((v) => v.value);
      await waitFor(async () => (await oldValues()).length === 3, 'the old values stored', 15_000, 100);
      const partitions = async () => {
        const c = new pg.Pool({ connectionString: db!.url, max: 1 });
        try {
          return (await c.query<{ name: string }>("SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'central_history'")).rows.map((r) => r.name);
        } finally {
          await c.end();
        }
      };
      const oldNames = old.map((ts) => `central_history_p${new Date(ts).toISOString().slice(0, 10).replace(/-/g, '')}`);
      if (db) for (const n of oldNames) expect(await partitions()).toContain(n);

      const host = (await server.api<{ id: number }[]>('GET', '/sparkplughosts')).body[0].id;
      const bad = await server.api<{ field: string }>('PUT', `/sparkplughosts/${host}`, { history_retention_days: 0 });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('history_retention_days');
      expect((await server.api('PUT', `/sparkplughosts/${host}`, { history_retention_days: 42 })).status).toBe(200);
      // no restart, no hourly wait: the values of 45 and 44 days ago go, the one of 40 days ago stays
      await waitFor(async () => (await oldValues()).length === 1, 'the history older than 42 days removed', 30_000, 200);
      expect(await oldValues()).toEqual([502]);
      if (db) {
        const now = await partitions();
        expect(now).not.toContain(oldNames[0]);
        expect(now).not.toContain(oldNames[1]);
        expect(now).toContain(oldNames[2]);
      }
      const status = (await server.api<{ history_retention_days: number; last_retention: { days: number } }>('GET', '/central/status')).body;
      expect(status).toMatchObject({ history_retention_days: 42, last_retention: { days: 42 } });
      // the recent history (an hour ago) is untouched
      const recent = `startdatetime=${new Date(Date.now() - 2 * 3_600_000).toISOString()}`;
      const r = (await server.api<{ values: unknown[] }>('GET', `/central/sites/${siteId}/metrics/${m.id}/history?${recent}`)).body;
      expect(r.values.length).toBeGreaterThanOrEqual(10);
      await edge.ndeath();
      await waitFor(async () => !(await site())?.online, 'the site offline', 10_000, 50);
    });

    it('keeps what it ingested where --database says, and says it is offline when it stops', async () => {
      if (db) {
        const c = new pg.Pool({ connectionString: db.url, max: 1 });
        try {
          const n = await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM central_history');
          expect(Number(n.rows[0].n)).toBeGreaterThanOrEqual(14);
          const sitesRow = await c.query<{ online: number }>("SELECT online FROM central_sites WHERE edge_node_id = 'edge-1'");
          expect(sitesRow.rows[0].online).toBe(0);
        } finally {
          await c.end();
        }
      }
      const before = seen.length;
      await server.stop();
      // a configuration change (the space_id above) restarts the host, whose new session answers the death its old
      // one left retained with a birth; under load that birth can arrive after the stop began. What counts is that
      // a death comes and stays the last word
      const states = () => seen.slice(before).filter((m) => m.topic === `spBv1.0/STATE/central-${backend}`).map((m) => JSON.parse(m.payload.toString()) as { online: boolean });
      await waitFor(() => states().some((s) => s.online === false), 'the STATE death', 30_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(states().at(-1)).toMatchObject({ online: false });
    });
  });
}
