/**
 * `serve --demo` answers as soon as it listens; the demo's simulated devices and the acquisition against them start
 * afterwards (runtime.ts, Service.afterListen). In that gap nothing a user sees may be wrong: a device data source
 * is 'connecting' (never offline, not counted offline) until its first scan, then online. The OFFLINE alarm is not
 * checked here: with another demo server running at the same moment one is raised for the PLC at start, on main
 * before this change as well (docs/performance.md, "Third round"); that is an open bug, not this test's subject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

const DEVICES = ['modbus-tcp', 'modbus-rtu', 'bacnet-ip', 'mqtt'];

interface Source {
  name: string;
  protocol: string;
  status: string | null;
}

describe('serve --demo: listening before the demo devices run', { timeout: 180_000 }, () => {
  let rt: ApiServer;
  beforeAll(async () => {
    rt = await startServer('--demo');
  });
  afterAll(async () => rt?.stop());

  it('shows its device data sources connecting, none offline or counted offline, until each is online', async () => {
    const look = async () => {
      const sources = (await rt.api<Source[]>('GET', '/datasources')).body.filter((d) => DEVICES.includes(d.protocol));
      const status = (await rt.api<{ data_sources_online: number; data_sources_offline: number }>('GET', '/status')).body;
      expect(sources.map((d) => d.protocol).sort()).toEqual(['bacnet-ip', 'modbus-tcp', 'mqtt']);
      // every moment: connecting or online, counted honestly
      for (const d of sources) expect(['connecting', 'online'], `${d.name}`).toContain(d.status);
      expect(status.data_sources_offline).toBe(0);
      // read a moment after the sources: a source may have come online in between, none can have gone back
      expect(status.data_sources_online).toBeGreaterThanOrEqual(sources.filter((d) => d.status === 'online').length);
      expect(status.data_sources_online).toBeLessThanOrEqual(sources.length);
      return sources;
    };
    // the first look comes right after ready, usually in the gap
    await look();
    await waitFor(async () => (await look()).every((d) => d.status === 'online'), 'every device data source online', 60_000, 50);
  });
});
