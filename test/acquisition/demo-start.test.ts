/**
 * `serve --demo` answers as soon as it listens; the demo's simulated devices and the acquisition against them start
 * afterwards (runtime.ts, Service.afterListen). In that gap nothing a user sees may be wrong: a device data source
 * is 'connecting' (never offline, not counted offline, no OFFLINE alarm) until its first scan, then online.
 *
 * Two servers start at the same moment, as two demos on one machine do: the second finds the demo devices' seeded
 * ports taken and writes other ones back, and both start-ups are slow (a loaded machine). That is how a false
 * "Demo Plant PLC OFFLINE" alarm was raised: the alarm service judged the status the store held before acquisition
 * marked its sources 'connecting', and a start-up longer than the PLC's 1 s scan interval let that stale 'offline'
 * activate at the first tick (alarms/service.ts, `started`; test/alarms/datasource-start.test.ts on its clock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

const DEVICES = ['modbus-tcp', 'modbus-rtu', 'bacnet-ip', 'mqtt'];

interface Source {
  id: number;
  name: string;
  protocol: string;
  status: string | null;
  connection: string;
}

interface Alarm {
  source: string;
  name: string;
  state: string;
}

describe('serve --demo, two at once: listening before the demo devices run', { timeout: 240_000 }, () => {
  const servers: ApiServer[] = [];
  beforeAll(async () => {
    const started = await Promise.allSettled([startServer('--demo'), startServer('--demo')]);
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  /** one server's device data sources, its status counts and its data source alarms, checked as seen (a failure shows the server's log) */
  const look = async (rt: ApiServer) => {
    try {
      return await check(rt);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nserver log:\n${rt.served.output()}`, { cause: e });
    }
  };
  const check = async (rt: ApiServer) => {
    const sources = (await rt.api<Source[]>('GET', '/datasources')).body.filter((d) => DEVICES.includes(d.protocol));
    const status = (await rt.api<{ data_sources_online: number; data_sources_offline: number }>('GET', '/status')).body;
    const alarms = (await rt.api<Alarm[]>('GET', '/alarms?state=all')).body.filter((a) => a.source === 'datasource');
    expect(sources.map((d) => d.protocol).sort()).toEqual(['bacnet-ip', 'modbus-tcp', 'mqtt']);
    // every moment: connecting or online, counted honestly, and no OFFLINE alarm (not even one raised and cleared)
    for (const d of sources) expect(['connecting', 'online'], `${d.name}`).toContain(d.status);
    expect(status.data_sources_offline).toBe(0);
    expect(alarms.map((a) => `${a.name} ${a.state}`)).toEqual([]);
    // read a moment after the sources: a source may have come online in between, none can have gone back
    expect(status.data_sources_online).toBeGreaterThanOrEqual(sources.filter((d) => d.status === 'online').length);
    expect(status.data_sources_online).toBeLessThanOrEqual(sources.length);
    return sources;
  };

  it('shows their device data sources connecting, none offline, counted offline or alarmed, until each is online', async () => {
    // the first looks come right after ready, usually in the gap
    await Promise.all(servers.map((rt) => look(rt)));
    await Promise.all(servers.map((rt) => waitFor(async () => (await look(rt)).every((d) => d.status === 'online'), 'every device data source online', 60_000, 50)));
    // online for a while, still no alarm: two PLC scan intervals and one of the 5 s sources
    const until = Date.now() + 6_000;
    while (Date.now() < until) for (const rt of servers) expect((await look(rt)).every((d) => d.status === 'online')).toBe(true);
    // the two demos' devices are on different ports (each of its own): the second wrote its own back
    const ports = async (rt: ApiServer) => (await rt.api<Source[]>('GET', '/datasources')).body.map((d) => `${d.name}:${JSON.parse(d.connection).port}`);
    const [first, second] = await Promise.all(servers.map(ports));
    for (const name of ['Demo Plant PLC', 'Demo EV Chargers', 'Demo HVAC Controller']) {
      expect(first.find((p) => p.startsWith(`${name}:`))).not.toBe(second.find((p) => p.startsWith(`${name}:`)));
    }
  });
});
