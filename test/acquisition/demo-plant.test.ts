/**
 * The demo plant as users start it (`npm run serve -- --demo`, the built JavaScript, in a child process): its
 * simulated devices polled through the real drivers, read and commanded through the HTTP API only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

interface Latest {
  value: number | null;
  quality: string;
}

describe('the demo plant: simulated devices polled through the real drivers', { timeout: 180_000 }, () => {
  let rt: ApiServer;
  const ids: Record<string, number> = {};
  const latest = async (name: string) => (await rt.api<Latest>('GET', `/points/${ids[name]}/latest`)).body;

  beforeAll(async () => {
    rt = await startServer('--demo');
    const points = await rt.api<{ id: number; name: string }[]>('GET', '/points');
    for (const p of points.body) ids[p.name] = p.id;
  });
  afterAll(async () => rt?.stop());

  it('reads the PLC over Modbus TCP, the chargers over MQTT, the HVAC controller over BACnet, and computes the virtual points', async () => {
    for (const name of ['Grid Power', 'PV Power', 'Battery SOC', 'Main Breaker', 'EV Charger 1 Power', 'Building A Temperature', 'Heat Pump Running', 'Site Load', 'PV Self Consumption']) {
      const v = await waitFor(async () => {
        const l = await latest(name);
        return l.quality === 'good' && l;
      }, `a good value of ${name}`, 60_000, 100);
      expect(typeof v.value).toBe('number');
    }
    expect((await latest('Main Breaker')).value).toBe(1);
    // every data source that talks to a device is online: Modbus TCP, MQTT and BACnet/IP
    const statuses = await rt.api<{ name: string; protocol: string; status: string }[]>('GET', '/datasources');
    const devices = statuses.body.filter((d) => ['modbus-tcp', 'modbus-rtu', 'bacnet-ip', 'mqtt'].includes(d.protocol));
    expect(devices.map((d) => d.protocol).sort()).toEqual(['bacnet-ip', 'modbus-tcp', 'mqtt']);
    expect(devices.map((d) => `${d.name}: ${d.status}`)).toEqual(devices.map((d) => `${d.name}: online`));
  });

  it('a command written through the faceplate path moves the battery and is audited', async () => {
    const commands = await rt.api<{ id: number; name: string }[]>('GET', '/commands');
    const setpoint = commands.body.find((c) => c.name === 'Battery power setpoint')!;
    const r = await rt.api<{ ok: boolean; readback: number | null; pending?: boolean; why?: string; audit_id: number }>('PUT', `/commands/${setpoint.id}/send`, { set_value: 40 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // on a loaded machine the simulated PLC can miss a read now and then: the command then holds and is written
    // when the PLC answers (pending), which the battery discharging below proves either way
    // or the arbiter held another target at that moment (a controller's constraint), which the answer explains
    if (r.body.pending) expect(r.body).toMatchObject({ ok: true, readback: null, pending: true });
    else if (r.body.readback !== 40) expect(r.body, JSON.stringify(r.body)).toMatchObject({ ok: true, why: expect.any(String) });
    else expect(r.body).toMatchObject({ ok: true, readback: 40 });
    await waitFor(async () => Number((await latest('Battery Power')).value ?? 0) > 20, 'the battery discharging', 60_000, 100);
    const audit = await rt.api<{ id: number; action: string; new_value: string; result: string }[]>('GET', '/auditlogs?action=command.write');
    // the write of 40 is audited: the answer's own when it wrote, else the arbiter's when it wrote the held command
    const wrote = r.body.readback === 40 ? audit.body.find((a) => a.id === r.body.audit_id) : audit.body.find((a) => Number(a.new_value) === 40);
    expect(wrote, JSON.stringify(r.body)).toMatchObject({ action: 'command.write', result: 'ok' });
    const refused = await rt.api<{ field: string }>('PUT', `/commands/${setpoint.id}/send`, { set_value: 500 });
    expect(refused.status).toBe(400);
    expect(refused.body.field).toBe('set_value');
  });

  it('answers read-now and diagnostics for the commissioning engineer', async () => {
    const r = await rt.api<{ raw: number[]; value: number; quality: string; request: string }>('POST', `/points/${ids['Busbar Voltage']}/readnow`);
    expect(r.status).toBe(200);
    expect(r.body.raw).toHaveLength(2);
    expect(r.body.value).toBeGreaterThan(350);
    expect(r.body.request).toBe('01 03 00 0e 00 02');
    const ds = (await rt.api<{ id: number; name: string }[]>('GET', '/datasources')).body.find((d) => d.name === 'Demo Plant PLC')!;
    const d = await rt.api<{ requests_per_scan: number; rtt_ms: { p50: number } }>('GET', `/datasources/${ds.id}/diagnostics`);
    expect(d.body.requests_per_scan).toBe(2); // 11 float registers in one request, 6 coils in another
    expect(d.body.rtt_ms.p50).toBeGreaterThan(0);
  });
});
