/**
 * A host's DCMD acts with the permission of the edge node's command user, in a real runtime against mosquitto
 * (commands encoded with Eclipse Tahu's sparkplug-payload): a read-only command user and one whose privilege does
 * not reach the point's space are refused, each refusal audited with its reason; a user who may see the point
 * writes it through the control arbiter, audited in that user's name "via Sparkplug host".
 */
import mqtt from 'mqtt';
import * as sparkplug from 'sparkplug-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary } from '../peers/peers';
import { freePort } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { waitFor } from '../support/wait';
import { broker, type Broker, creator, collector, type Collector } from './support';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');

const tahu = sparkplug.get('spBv1.0')!;

interface Audit {
  action: string;
  result: string;
  user_name: string;
  new_value: string | null;
  details: unknown;
}

describe('Sparkplug DCMD in the name of the command user', { timeout: 180_000 }, () => {
  let mb: Broker;
  let rt: TestRuntime;
  let sub: Collector;
  let host: mqtt.MqttClient;
  let nodeId = 0;
  let setpoint = 0;
  const users: Record<string, number> = {};
  const dcmd = (value: number) => host.publishAsync('spBv1.0/Cmd/DCMD/E/Panel', Buffer.from(tahu.encodePayload({ timestamp: Date.now(), metrics: [{ alias: setpoint, type: 'Double', value }] })), { qos: 1 });
  const audit = async (action: string) => (await rt.api<Audit[]>('GET', `/auditlogs?action=${action}`)).body.filter((e) => e.action === action);
  /** the node restarted with another command user: its births say Setpoint is writable once it listens again */
  const commandUser = async (name: string) => {
    const births = sub.of('DBIRTH', 'Panel').length;
    expect((await rt.api('PUT', `/sparkplugnodes/${nodeId}`, { command_user_id: users[name] })).status).toBe(200);
    await sub.wait(`a birth with ${name} as the command user`, () => sub.of('DBIRTH', 'Panel').length > births);
    expect(sub.of('DBIRTH', 'Panel').at(-1)!.metrics.find((m) => m.alias === setpoint)!.properties.Writable).toBe(true);
  };
  const refused = (why: RegExp, n: number) =>
    waitFor(async () => {
      const denied = (await audit('sparkplug.command')).filter((e) => e.result === 'denied');
      return denied.length >= n && denied;
    }, `${n} refused commands`, 30_000, 100).then((denied) => {
      expect(denied.some((e) => why.test(JSON.stringify(e.details))), JSON.stringify(denied)).toBe(true);
      return denied;
    });

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-cmduser-${process.pid}`);
    host = await mqtt.connectAsync(`mqtt://127.0.0.1:${mb.port}`);
    rt = await startTestRuntime();
    const create = creator(rt.api);
    const tz = (await rt.api<{ id: number }[]>('GET', '/timezones')).body[0].id;
    const north = await create('/spaces', { name: 'North', area: 1, timezone_id: tz });
    const south = await create('/spaces', { name: 'South', area: 1, timezone_id: tz });
    const gw = await create('/gateways', { name: 'gw' });
    const ds = await create('/datasources', { name: 'Panel', gateway_id: gw, protocol: 'manual', connection: '{}' });
    setpoint = await create('/points', { name: 'Setpoint', data_source_id: ds, object_type: 'ANALOG_VALUE', high_limit: 100, address: '{}' });
    expect((await rt.api('POST', `/spaces/${north}/points`, { point_id: setpoint })).status).toBe(201);
    const northOnly = await create('/privileges', { name: 'North only', data: JSON.stringify({ spaces: [north] }) });
    const southOnly = await create('/privileges', { name: 'South only', data: JSON.stringify({ spaces: [south] }) });
    users.rita = await create('/users', { name: 'rita', display_name: 'Rita', email: 'rita@site.test', password: 'Rita-Pass-2026', is_read_only: true });
    users.sam = await create('/users', { name: 'sam', display_name: 'Sam', email: 'sam@site.test', password: 'Sam-Pass-2026', privilege_id: southOnly });
    users.nora = await create('/users', { name: 'nora', display_name: 'Nora', email: 'nora@site.test', password: 'Nora-Pass-2026', privilege_id: northOnly });
    expect((await rt.api('PUT', `/points/${setpoint}/write`, { value: 10 })).status).toBe(200);
    nodeId = await create('/sparkplugnodes', { name: 'Edge', broker_url: `mqtt://127.0.0.1:${mb.port}`, group_id: 'Cmd', edge_node_id: 'E', commands_enabled: true, writable_point_ids: [setpoint], command_user_id: users.rita, publish_interval_ms: 100 });
    await sub.wait('the births', () => sub.of('DBIRTH', 'Panel').length === 1);
  });

  afterAll(async () => {
    await rt?.stop();
    await host?.endAsync(true).catch(() => undefined);
    await sub?.close().catch(() => undefined);
    await mb?.remove();
  });

  it('refuses a read-only command user, and one whose privilege does not reach the point, auditing why', async () => {
    await dcmd(42);
    const first = await refused(/read-only/, 1);
    expect(first[0].user_name).toMatch(/^rita via Sparkplug host \(Cmd\/E\/Panel\)$/);
    await commandUser('sam');
    await dcmd(43);
    const second = await refused(/may not see this point/, 2);
    expect(second.some((e) => e.user_name.startsWith('sam via Sparkplug host'))).toBe(true);
    expect((await rt.api<{ value: number }>('GET', `/points/${setpoint}/latest`)).body.value).toBe(10);
    expect(await audit('control.request.create')).toEqual([]);
  });

  it('writes through the control arbiter in the name of a command user who may see the point', async () => {
    await commandUser('nora');
    await dcmd(44);
    await waitFor(async () => (await rt.api<{ value: number }>('GET', `/points/${setpoint}/latest`)).body.value === 44, 'the setpoint written', 30_000, 100);
    const created = await audit('control.request.create');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ result: 'ok' });
    expect(created[0].user_name).toMatch(/^nora via Sparkplug host \(Cmd\/E\/Panel\)$/);
    const stack = (await rt.api<{ requests: { source: string; actor: string }[] }>('GET', `/control/points/${setpoint}/requests`)).body;
    expect(stack.requests[0]).toMatchObject({ source: 'operator' });
    expect(stack.requests[0].actor).toContain('nora via Sparkplug host');
    // beyond the point's high limit: refused by the arbiter, audited, the value stays
    await dcmd(1000);
    await refused(/limit|range|high/i, 3);
    expect((await rt.api<{ value: number }>('GET', `/points/${setpoint}/latest`)).body.value).toBe(44);
  });
});
