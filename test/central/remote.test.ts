/**
 * Remote sites on every screen: the server as shipped (child process) is the central server on PostgreSQL with
 * mosquitto; a Sparkplug edge written with sparkplug-payload + mqtt (not the code under test) is born, publishes
 * values (with the Quality property), history after an outage and alarm events, and dies. Its metrics must be
 * points of a `sparkplug` data source that the ordinary point API answers for (latest, trend), its alarms alarms of
 * the site that central operators see but cannot acknowledge, and its death comm_fail plus the data source alarm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, startMosquitto, type Peer } from '../peers/peers';
import { hasPostgres, startPostgres, type PostgresPeer } from '../peers/postgres';
import { freePort } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';
import { TestEdge } from './edge';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');
hasPostgres();

interface DataSource {
  id: number;
  name: string;
  protocol: string;
  status: string;
  gateway: { id: number; name: string } | null;
}
interface Point {
  id: number;
  name: string;
  units: string;
  object_type: string;
  is_trend: boolean;
  data_source: { id: number };
}
interface Alarm {
  id: number;
  source: string;
  source_id: number;
  name: string;
  message: string;
  priority: string;
  state: string;
  active: boolean;
  acknowledged: boolean;
  acknowledged_by: string | null;
}

const METER = [
  { name: 'Active power', alias: 10, type: 'Double' as const, value: 1.25, unit: 'kW' },
  { name: 'Breaker closed', alias: 11, type: 'Boolean' as const, value: true },
  { name: 'Mode', alias: 12, type: 'String' as const, value: 'auto' },
];
const NODE = [
  { name: 'Uptime', alias: 1, type: 'Int32' as const, value: 5 },
  // Switchyard's edge publishes its alarm transitions as this node metric (docs/sparkplug.md)
  { name: 'Alarms/Event', alias: 90, type: 'String' as const, value: '' },
];

describe('remote site data on every screen of the central server', { timeout: 300_000 }, () => {
  let broker: Peer;
  let brokerPort: number;
  let db: PostgresPeer;
  let server: ApiServer;
  let edge: TestEdge;
  let source: DataSource;
  const point: Record<string, Point> = {};

  const sources = async () => (await server.api<DataSource[]>('GET', '/datasources')).body;
  const alarms = async () => (await server.api<Alarm[]>('GET', '/alarms?state=all')).body;
  const alarmEvent = (e: Record<string, unknown>) => edge.data(null, [{ alias: 90, type: 'String', value: JSON.stringify(e) }]);

  beforeAll(async () => {
    const port = await freePort();
    brokerPort = port;
    broker = await startMosquitto(port);
    db = await startPostgres();
    server = await startServer('--empty', ['--database', db.url]);
    const created = await server.api<{ id: number }>('POST', '/sparkplughosts', { name: 'Control room', broker_url: `mqtt://127.0.0.1:${port}`, host_id: 'central-remote', group_ids: 'Plants' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitFor(async () => (await server.api<{ hosts: { connected: boolean }[] }>('GET', '/central/status')).body.hosts[0]?.connected, 'the host connected', 30_000, 100);
    edge = new TestEdge(`mqtt://127.0.0.1:${port}`, 'Plants', 'edge-r');
    await edge.connect();
  });
  afterAll(async () => {
    await edge?.end();
    await server?.stop();
    await broker?.stop();
    await db?.stop();
  });

  it('makes a born site a sparkplug data source and its metrics points, with units and types from the birth', async () => {
    await edge.nbirth(NODE);
    await edge.dbirth('meter-1', METER);
    source = await waitFor(async () => (await sources()).find((s) => s.name === 'Plants/edge-r' && s.status === 'online'), 'the site as an online data source', 30_000, 100).catch((e: Error) => {
      throw new Error(`${e.message}; server log:\n${server.served.output().slice(-3000)}`);
    });
    expect(source.protocol).toBe('sparkplug');
    expect(source.gateway?.name).toBe('Sparkplug host Control room');
    const points = await waitFor(async () => {
      const all = (await server.api<Point[]>('GET', '/points')).body.filter((p) => p.data_source.id === source.id);
      return all.length === 4 && all;
    }, 'four points (the event metric and bdSeq are none)', 30_000, 100);
    for (const p of points) point[p.name] = p;
    expect(Object.keys(point).sort()).toEqual(['Uptime', 'meter-1/Active power', 'meter-1/Breaker closed', 'meter-1/Mode']);
    expect(point['meter-1/Active power']).toMatchObject({ units: 'kW', object_type: 'ANALOG_VALUE', is_trend: true });
    expect(point['meter-1/Breaker closed'].object_type).toBe('BINARY_VALUE');
    expect(point['meter-1/Mode'].object_type).toBe('TEXT_VALUE');
    expect(point.Uptime.object_type).toBe('DIGITAL_VALUE');
    // the birth values are the points' latest values
    await server.waitLatest(point['meter-1/Active power'].id, (l) => l.value === 1.25 && l.quality === 'good', 'the birth value', 15_000);
    await server.waitLatest(point['meter-1/Mode'].id, (l) => l.value === 'auto', 'the text birth value', 15_000);
    // who made them is in the audit log
    const audit = (await server.api<{ action: string; target: string; user_name: string }[]>('GET', '/auditlogs')).body;
    expect(audit.some((a) => a.target === `datasources:${source.id}` && a.action === 'config.create')).toBe(true);
  });

  it('answers a remote value at GET /api/points/{id}/latest within 2 s, with its source time and Quality', async () => {
    const id = point['meter-1/Active power'].id;
    const at = Date.now() - 50;
    const sent = Date.now();
    await edge.data('meter-1', [{ alias: 10, type: 'Double', value: 42.5, timestamp: at }]);
    const l = await server.waitLatest(id, (x) => x.value === 42.5, 'the DDATA value', 10_000);
    expect(Date.now() - sent).toBeLessThan(2_000);
    expect(l.quality).toBe('good');
    expect(Date.parse(l.utc_date_time!)).toBe(at);
    // the Quality property: 0 is bad, 500 stale (and absent is good again)
    await edge.data('meter-1', [{ alias: 10, type: 'Double', value: 43, quality: 0 }]);
    await server.waitLatest(id, (x) => x.value === 43 && x.quality === 'bad', 'a bad-quality value', 10_000);
    await edge.data('meter-1', [{ alias: 10, type: 'Double', value: 44, quality: 500 }]);
    await server.waitLatest(id, (x) => x.value === 44 && x.quality === 'stale', 'a stale value', 10_000);
    await edge.data('meter-1', [{ alias: 10, type: 'Double', value: 45 }]);
    await server.waitLatest(id, (x) => x.value === 45 && x.quality === 'good', 'a good value again', 10_000);
  });

  it('raises a point alarm from a limit configured centrally, named with its site', async () => {
    const id = point['meter-1/Active power'].id;
    expect((await server.api('PUT', `/pointlimits/${id}`, { high_limit: 100 })).status).toBe(200);
    await edge.data('meter-1', [{ alias: 10, type: 'Double', value: 150 }]);
    const hi = await waitFor(async () => (await alarms()).find((a) => a.source === 'point' && a.source_id === id && a.active), 'the HI alarm of the remote point', 15_000, 100);
    expect(hi.name).toBe('Plants/edge-r / meter-1/Active power HI');
    await edge.data('meter-1', [{ alias: 10, type: 'Double', value: 45 }]);
    await waitFor(async () => (await alarms()).find((a) => a.id === hi.id && !a.active), 'the HI alarm cleared', 15_000, 100);
    expect((await server.api('PUT', `/pointlimits/${id}`, { high_limit: null })).status).toBe(200);
  });

  it('keeps history of remote points in the historian: live values and historical replays in the trend, the latest not moved back', async () => {
    const id = point['meter-1/Active power'].id;
    const base = Date.now() - 1_800_000;
    // store-and-forward replay, out of order, flagged historical
    await edge.data('meter-1', [3, 1, 4, 0, 2].map((k) => ({ alias: 10, type: 'Double' as const, value: 200 + k, timestamp: base + k * 60_000, historical: true })));
    const q = `startdatetime=${new Date(base - 1000).toISOString()}&enddatetime=${new Date().toISOString()}`;
    const trend = await waitFor(async () => {
      const t = (await server.api<{ values: { utc_date_time: string; value: number }[] }>('GET', `/points/${id}/trend?${q}`)).body;
      return t.values.filter((v) => v.value >= 200).length === 5 && t;
    }, 'the five historical values in the trend', 15_000, 100);
    const hist = trend.values.filter((v) => v.value >= 200);
    expect(hist.map((v) => v.value)).toEqual([200, 201, 202, 203, 204]);
    expect(hist.map((v) => Date.parse(v.utc_date_time))).toEqual([0, 1, 2, 3, 4].map((k) => base + k * 60_000));
    // the live values sent before are there too, after the replayed ones
    expect(trend.values.map((v) => v.value)).toEqual(expect.arrayContaining([42.5, 43, 44, 45]));
    expect((await server.latest(id)).value).toBe(45);
  });

  it("shows an edge's alarm as an alarm of the site, read-only here, acknowledged and cleared when the edge does", async () => {
    await alarmEvent({ event_id: 11, alarm_id: 7, name: 'Boiler temperature HIGH', priority: 'HIGH', source: 'point', source_id: 3, condition: 'HIGH', message: 'Boiler temperature 96 above 90', action: 'activate', from_state: 'NORM', to_state: 'UNACK', user: 'system', value: '96' });
    const a = await waitFor(async () => (await alarms()).find((x) => x.source === 'site' && x.name === 'Plants/edge-r: Boiler temperature HIGH'), 'the edge alarm at the central server', 15_000, 100);
    expect(a).toMatchObject({ source_id: source.id, priority: 'HIGH', state: 'UNACK', active: true, acknowledged: false });
    expect(a.message).toContain('acknowledged there');
    const refused = await server.api<{ description: string; message: string }>('PUT', `/alarms/${a.id}/ack`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.description).toBe('API.ALARM_ACKNOWLEDGED_ELSEWHERE');
    expect(refused.body.message).toContain('acknowledged at that site');
    // acknowledging everything in view skips it, saying why
    const all = await server.api<{ skipped: { id: number; reason: string }[] }>('PUT', '/alarms/ack', { ids: [a.id] });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.skipped).toEqual([{ id: a.id, reason: 'acknowledged at its edge site' }]);
    expect((await alarms()).find((x) => x.id === a.id)!.acknowledged).toBe(false);
    // the edge's acknowledgement and its clearing are mirrored
    await alarmEvent({ event_id: 12, alarm_id: 7, name: 'Boiler temperature HIGH', priority: 'HIGH', message: 'Boiler temperature 96 above 90', action: 'ack', from_state: 'UNACK', to_state: 'ACKED', user: 'anna', comment: 'on it' });
    const acked = await waitFor(async () => (await alarms()).find((x) => x.id === a.id && x.acknowledged), 'the edge acknowledgement mirrored', 15_000, 100);
    expect(acked).toMatchObject({ state: 'ACKED', acknowledged_by: 'anna at Plants/edge-r' });
    await alarmEvent({ event_id: 13, alarm_id: 7, name: 'Boiler temperature HIGH', priority: 'HIGH', message: 'back to normal', action: 'clear', from_state: 'ACKED', to_state: 'NORM', user: 'system' });
    await waitFor(async () => (await alarms()).find((x) => x.id === a.id && x.state === 'NORM'), 'the edge alarm cleared', 15_000, 100);
  });

  it('turns the points comm_fail and raises the data source alarm when the edge dies; a rebirth brings both back', async () => {
    const id = point['meter-1/Active power'].id;
    await edge.ndeath();
    const l = await server.waitLatest(id, (x) => x.quality === 'comm_fail', 'comm_fail after NDEATH', 15_000);
    expect(l.value).toBe(45); // the last value, never a frozen "good"
    await server.waitLatest(point.Uptime.id, (x) => x.quality === 'comm_fail', 'the node metric comm_fail too', 15_000);
    await waitFor(async () => (await sources()).find((s) => s.id === source.id)?.status === 'offline', 'the data source offline', 15_000, 100);
    const offline = await waitFor(async () => (await alarms()).find((x) => x.source === 'datasource' && x.source_id === source.id && x.active), 'the data source OFFLINE alarm', 30_000, 100);
    expect(offline.name).toBe('Plants/edge-r OFFLINE');
    const status = (await server.api<{ data_sources_offline: number }>('GET', '/status')).body;
    expect(status.data_sources_offline).toBeGreaterThanOrEqual(1);

    edge.bdSeq++;
    await edge.nbirth(NODE);
    await edge.dbirth('meter-1', [{ ...METER[0], value: 3.5 }, METER[1], METER[2]]);
    await server.waitLatest(id, (x) => x.value === 3.5 && x.quality === 'good', 'good again after the rebirth', 15_000);
    await waitFor(async () => (await alarms()).find((x) => x.id === offline.id && !x.active), 'the OFFLINE alarm cleared', 30_000, 100);
    // no point was made twice by the rebirth
    expect((await server.api<Point[]>('GET', '/points')).body.filter((p) => p.data_source.id === source.id)).toHaveLength(4);
  });

  it('turns only the device points comm_fail on DDEATH', async () => {
    await edge.ddeath('meter-1');
    await server.waitLatest(point['meter-1/Mode'].id, (x) => x.quality === 'comm_fail', 'the device point comm_fail', 15_000);
    expect((await server.latest(point.Uptime.id)).quality).toBe('good');
    expect((await sources()).find((s) => s.id === source.id)?.status).toBe('online');
  });

  it('shows the sites of a host that lost its broker as not online, their points stale and the data source offline; births after the restart bring them back', async () => {
    interface CentralSite { edge_node_id: string; online: boolean; status: string }
    const site = async () => (await server.api<CentralSite[]>('GET', '/central/sites')).body.find((x) => x.edge_node_id === 'edge-r');
    const id = point['meter-1/Active power'].id;
    // a living site first (the device died in the test before)
    edge.bdSeq++;
    await edge.nbirth(NODE);
    await edge.dbirth('meter-1', [{ ...METER[0], value: 6.5 }, METER[1], METER[2]]);
    await server.waitLatest(id, (x) => x.value === 6.5 && x.quality === 'good', 'good after the birth', 15_000);
    expect((await site())?.status).toBe('online');

    await edge.end();
    await broker.stop();
    // without a broker the host cannot know the edge: the site is not online, its values are not current
    await waitFor(async () => {
      const s = await site();
      return s && !s.online && s.status === 'unknown';
    }, 'the site not online (unknown) while the broker is down', 30_000, 100);
    const l = await server.waitLatest(id, (x) => x.quality === 'stale', 'the remote point stale while the broker is down', 30_000);
    expect(l.value).toBe(6.5); // the last value, no longer "good"
    await server.waitLatest(point.Uptime.id, (x) => x.quality === 'stale', 'the node metric stale too', 15_000);
    await waitFor(async () => (await sources()).find((s) => s.id === source.id)?.status === 'offline', 'the data source offline', 15_000, 100);
    const offline = await waitFor(async () => (await alarms()).find((x) => x.source === 'datasource' && x.source_id === source.id && x.active), 'the data source OFFLINE alarm', 30_000, 100);
    expect(offline.name).toBe('Plants/edge-r OFFLINE');

    // the broker is back; the host reconnects by itself and the edge is born again
    broker = await startMosquitto(brokerPort);
    await waitFor(async () => (await server.api<{ hosts: { connected: boolean }[] }>('GET', '/central/status')).body.hosts[0]?.connected, 'the host connected again', 30_000, 100);
    // nothing comes back good before a birth
    expect((await server.latest(id)).quality).toBe('stale');
    expect((await site())?.online).toBe(false);
    edge = new TestEdge(`mqtt://127.0.0.1:${brokerPort}`, 'Plants', 'edge-r');
    edge.bdSeq = 10;
    await edge.connect();
    await edge.nbirth(NODE);
    await edge.dbirth('meter-1', [{ ...METER[0], value: 7.5 }, METER[1], METER[2]]);
    await server.waitLatest(id, (x) => x.value === 7.5 && x.quality === 'good', 'good again after the birth', 15_000);
    await server.waitLatest(point.Uptime.id, (x) => x.quality === 'good', 'the node metric good again', 15_000);
    await waitFor(async () => {
      const s = await site();
      return s?.online && s.status === 'online';
    }, 'the site online again', 15_000, 100);
    await waitFor(async () => (await sources()).find((s) => s.id === source.id)?.status === 'online', 'the data source online again', 15_000, 100);
    await waitFor(async () => (await alarms()).find((x) => x.id === offline.id && !x.active), 'the OFFLINE alarm cleared', 30_000, 100);
  });

  it('leaves a host with remote_points off to the Sites screen: its values no longer reach the points', async () => {
    const host = (await server.api<{ id: number }[]>('GET', '/sparkplughosts')).body[0];
    const off = await server.api<{ remote_points: boolean }>('PUT', `/sparkplughosts/${host.id}`, { remote_points: false });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body.remote_points).toBe(false);
    // the host restarts with its new configuration: the edge is born again to it
    const siteMetric = async () => {
      const site = (await server.api<{ id: number; edge_node_id: string }[]>('GET', '/central/sites')).body.find((x) => x.edge_node_id === 'edge-r')!;
      return (await server.api<{ name: string; value: unknown }[]>('GET', `/central/sites/${site.id}/metrics`)).body.find((m) => m.name === 'Active power');
    };
    await waitFor(async () => {
      if ((await siteMetric())?.value === 77) return true;
      edge.bdSeq++;
      await edge.nbirth(NODE);
      await edge.dbirth('meter-1', [{ ...METER[0], value: 77 }, METER[1], METER[2]]);
      return false;
    }, 'the rebirth at the restarted host', 60_000, 1000);
    // the host has taken it (the Sites API shows it); the point was not fed
    expect((await server.latest(point['meter-1/Active power'].id)).value).not.toBe(77);
  });
});
