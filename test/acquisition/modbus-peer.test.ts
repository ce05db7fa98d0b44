/**
 * Modbus TCP and Modbus RTU over TCP through the server as users start it (`npm run serve`'s built JavaScript in a
 * child process), against pymodbus (Debian's python3-pymodbus), with mbpoll as an independent master: data source
 * and points created, values, diagnostics, read-now and writes through the HTTP API only.
 */
import { execFileSync } from 'node:child_process';
import type { DataSourceDiagnostics as Diagnostics } from '../../src/core/acquisition/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, hasPymodbus, startPymodbus, type Peer, type PymodbusConfig } from '../peers/peers';
import { freePort } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

// a missing peer fails the suite, naming the apt line to run
hasPymodbus();
hasBinary('/usr/bin/mbpoll', 'mbpoll');

// 21.5 as float32 big-endian is 0x41AC 0x0000; 123456 as uint32 is 0x0001 0xE240 (here word-swapped, CDAB)
const slave = (): PymodbusConfig['slaves'] => ({
  '1': {
    hr: { 0: 0x41ac, 1: 0x0000, 2: 0xfff6, 4: 0xe240, 5: 0x0001, 10: 7, 20: 500, 30: 0 },
    co: { 0: 1, 1: 0, 2: 1 },
    di: { 0: 1 },
    ir: { 0: 1234 },
  },
});

describe('Modbus TCP against pymodbus', { timeout: 180_000 }, () => {
  let peer: Peer;
  let port: number;
  let server: ApiServer;
  let ds: number;
  const id: Record<string, number> = {};
  const diagnostics = async () => (await server.api<Diagnostics>('GET', `/datasources/${ds}/diagnostics`)).body;
  const read = (name: string) => server.waitLatest(id[name], (l) => l.quality !== 'comm_fail' && l.utc_date_time !== null, `a first reading of ${name}`);

  beforeAll(async () => {
    port = await freePort();
    peer = await startPymodbus({ port, slaves: slave() });
    server = await startServer();
    ds = await server.createSource('PLC', 'modbus-tcp', { host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 1000, max_backoff_s: 0.5 });
    const points: [string, Record<string, unknown>, Record<string, unknown>?][] = [
      ['Temperature', { slave_id: 1, function_code: 3, offset: 0, number_of_registers: 2, format: '>f' }],
      ['Delta', { slave_id: 1, function_code: 3, offset: 2, number_of_registers: 1, format: '>h' }],
      ['Energy', { slave_id: 1, function_code: 3, offset: 4, format: 'uint32', word_order: 'CDAB' }, { ratio: 0.1, offset_constant: 1 }],
      ['Missing register', { slave_id: 1, function_code: 3, offset: 6, number_of_registers: 1, format: '>H' }],
      ['Limited', { slave_id: 1, function_code: 3, offset: 10, format: 'uint16' }, { high_limit: 5 }],
      ['Setpoint', { slave_id: 1, function_code: 3, offset: 20, format: 'uint16' }],
      ['Breaker', { slave_id: 1, function_code: 1, offset: 0 }, { object_type: 'DIGITAL_VALUE' }],
      ['Alarm input', { slave_id: 1, function_code: 2, offset: 0 }, { object_type: 'DIGITAL_VALUE' }],
      ['Input register', { slave_id: 1, function_code: 4, offset: 0, format: '>H' }],
    ];
    for (const [name, address, extra] of points) id[name] = await server.createPoint(ds, name, address, extra);
  });
  afterAll(async () => {
    await server?.stop();
    await peer?.stop();
  });

  it('decodes every format, applies ratio and offset, and merges the reads into few requests', async () => {
    expect(await read('Temperature')).toMatchObject({ value: 21.5, quality: 'good' });
    expect(await read('Delta')).toMatchObject({ value: -10, quality: 'good' });
    expect(Number((await read('Energy')).value)).toBeCloseTo(123456 * 0.1 + 1, 6);
    expect(await read('Breaker')).toMatchObject({ value: 1, quality: 'good' });
    expect(await read('Alarm input')).toMatchObject({ value: 1, quality: 'good' });
    expect(await read('Input register')).toMatchObject({ value: 1234, quality: 'good' });
    await waitFor(async () => (await server.status(ds)) === 'online', 'the data source online', 30_000, 100);
    // the first scan pays for isolating the bad register; the following scans reuse the split
    const d = await waitFor(async () => {
      const x = await diagnostics();
      return x.requests_per_scan < 9 && x;
    }, 'a planned scan', 30_000, 100);
    // the split is remembered: two scans later the plan is the same, not the whole block retried
    const before = await diagnostics();
    for (let scans = 0; scans < 2; scans++) {
      const t = (await server.latest(id.Temperature)).utc_date_time;
      await server.waitLatest(id.Temperature, (l) => l.utc_date_time !== t, 'the next scan');
    }
    const after = await diagnostics();
    expect(after.requests_per_scan).toBe(d.requests_per_scan);
    // wire counters: two scans sent at least their planned requests, and every request sent was answered or
    // counted as an error (exception, timeout), but for the one that may be on the wire at this moment
    expect(after.requests_total - before.requests_total).toBeGreaterThanOrEqual(2 * d.requests_per_scan);
    expect(after.responses_total - before.responses_total).toBeGreaterThan(0);
    const unanswered = (x: Diagnostics) => x.requests_total - x.responses_total - Object.entries(x.errors).reduce((n, [kind, k]) => (kind === 'decode' ? n : n + k), 0);
    expect([0, 1]).toContain(unanswered(before));
    expect([0, 1]).toContain(unanswered(after));
    expect(d.last_response).toMatch(/^[0-9a-f]{2}( [0-9a-f]{2})*$/);
  });

  it('isolates a register the device refuses (exception) without poisoning its block', async () => {
    expect(await read('Missing register')).toMatchObject({ value: null, quality: 'bad' });
    expect((await server.latest(id.Temperature)).quality).toBe('good');
    expect(await read('Setpoint')).toMatchObject({ value: 500, quality: 'good' });
    expect((await diagnostics()).errors['exception 2']).toBeGreaterThan(0);
  });

  it('marks a value outside the point limits out_of_range', async () => {
    expect(await read('Limited')).toMatchObject({ value: 7, quality: 'out_of_range' });
  });

  it('writes a register (FC6) and a coil (FC5) and reads them back; mbpoll sees the written value', async () => {
    const write = async (name: string, value: number) => (await server.api<{ ok: boolean; readback: number | null; error?: string }>('PUT', `/points/${id[name]}/write`, { value })).body;
    expect(await write('Setpoint', 777)).toMatchObject({ ok: true, readback: 777 });
    const out = execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-r', '21', '-c', '1', '-t', '4', '-1', '-p', String(port), '127.0.0.1'], { encoding: 'utf8' });
    expect(out).toMatch(/\[21\]:\s+777/);
    expect(await write('Breaker', 0)).toMatchObject({ ok: true, readback: 0 });
    const coil = execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-r', '1', '-c', '1', '-t', '0', '-1', '-p', String(port), '127.0.0.1'], { encoding: 'utf8' });
    expect(coil).toMatch(/\[1\]:\s+0/);
    expect((await write('Input register', 1)).ok).toBe(false);
  });

  it('reads one point now with its raw registers and wire bytes', async () => {
    const r = await server.api<{ raw: number[]; value: number; quality: string; request: string }>('POST', `/points/${id.Temperature}/readnow`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ raw: [0x41ac, 0], value: 21.5, quality: 'good', request: '01 03 00 00 00 02' });
  });

  it('adds a point live, without a restart', async () => {
    id['Added later'] = await server.createPoint(ds, 'Added later', { slave_id: 1, function_code: 3, offset: 30, format: 'uint16' });
    expect(await read('Added later')).toMatchObject({ value: 0, quality: 'good' });
  });

  it('turns every point comm_fail when the device dies, and recovers when it comes back', async () => {
    await peer.stop();
    await server.waitLatest(id.Temperature, (l) => l.quality === 'comm_fail', 'comm_fail after the peer died');
    await waitFor(async () => (await server.status(ds)) === 'offline', 'the data source offline', 30_000, 100);
    for (const name of ['Delta', 'Breaker', 'Input register']) await server.waitLatest(id[name], (l) => l.quality === 'comm_fail', `comm_fail of ${name}`);
    peer = await startPymodbus({ port, slaves: slave() });
    await server.waitLatest(id.Temperature, (l) => l.quality === 'good', 'recovery after the peer came back', 60_000);
    await waitFor(async () => (await server.status(ds)) === 'online', 'the data source online again', 30_000, 100);
  });
});

describe('Modbus RTU over TCP against pymodbus', { timeout: 180_000 }, () => {
  it('reads registers through RTU framing', async () => {
    const port = await freePort();
    const peer = await startPymodbus({ port, framer: 'rtu', slaves: { '3': { hr: { 0: 0x41ac, 1: 0 } } } });
    let server: ApiServer | undefined;
    try {
      server = await startServer();
      const ds = await server.createSource('RTU gateway', 'modbus-rtu', { host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 1000 });
      const p = await server.createPoint(ds, 'RTU float', { slave_id: 3, function_code: 3, offset: 0, format: 'float32' });
      expect(await server.waitLatest(p, (l) => l.quality === 'good', 'an RTU reading')).toMatchObject({ value: 21.5, quality: 'good' });
    } finally {
      await server?.stop();
      await peer.stop();
    }
  });
});
