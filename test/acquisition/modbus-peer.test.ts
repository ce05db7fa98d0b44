import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/process';
import { hasBinary, hasPymodbus, startPymodbus, type Peer, type PymodbusConfig } from '../peers/peers';
import { point, recordingEngine, source, waitFor } from './support';

const enabled = hasPymodbus() && hasBinary('/usr/bin/mbpoll', 'mbpoll');

// 21.5 as float32 big-endian is 0x41AC 0x0000; 123456 as uint32 is 0x0001 0xE240 (here word-swapped, CDAB)
const slave = (): PymodbusConfig['slaves'] => ({
  '1': {
    hr: { 0: 0x41ac, 1: 0x0000, 2: 0xfff6, 4: 0xe240, 5: 0x0001, 10: 7, 20: 500, 30: 0 },
    co: { 0: 1, 1: 0, 2: 1 },
    di: { 0: 1 },
    ir: { 0: 1234 },
  },
});

describe.skipIf(!enabled)('Modbus TCP against pymodbus', () => {
  let peer: Peer;
  let port: number;
  const rec = recordingEngine();
  const ds = 1;
  const temp = point(ds, 'Temperature', { slave_id: 1, function_code: 3, offset: 0, number_of_registers: 2, format: '>f' });
  const delta = point(ds, 'Delta', { slave_id: 1, function_code: 3, offset: 2, number_of_registers: 1, format: '>h' });
  const energy = point(ds, 'Energy', { slave_id: 1, function_code: 3, offset: 4, format: 'uint32', word_order: 'CDAB' }, { ratio: 0.1, offset_constant: 1 });
  const missing = point(ds, 'Missing register', { slave_id: 1, function_code: 3, offset: 6, number_of_registers: 1, format: '>H' });
  const limited = point(ds, 'Limited', { slave_id: 1, function_code: 3, offset: 10, format: 'uint16' }, { high_limit: 5 });
  const setpoint = point(ds, 'Setpoint', { slave_id: 1, function_code: 3, offset: 20, format: 'uint16' });
  const breaker = point(ds, 'Breaker', { slave_id: 1, function_code: 1, offset: 0 }, { object_type: 'DIGITAL_VALUE' });
  const alarm = point(ds, 'Alarm input', { slave_id: 1, function_code: 2, offset: 0 }, { object_type: 'DIGITAL_VALUE' });
  const inputReg = point(ds, 'Input register', { slave_id: 1, function_code: 4, offset: 0, format: '>H' });
  const all = [temp, delta, energy, missing, limited, setpoint, breaker, alarm, inputReg];

  beforeAll(async () => {
    port = await freePort();
    peer = await startPymodbus({ port, slaves: slave() });
    rec.engine.configure([source(ds, 'modbus-tcp', { host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 300, max_backoff_s: 0.5 })], all);
    await rec.engine.start();
  });
  afterAll(async () => {
    await rec.engine.stop();
    await peer?.stop();
  });

  it('decodes every format, applies ratio and offset, and merges the reads into few requests', async () => {
    await waitFor(() => rec.last(inputReg.id), 'a first scan');
    expect(rec.last(temp.id)).toMatchObject({ value: 21.5, quality: 'good' });
    expect(rec.last(delta.id)).toMatchObject({ value: -10, quality: 'good' });
    expect(rec.last(energy.id)!.value).toBeCloseTo(123456 * 0.1 + 1, 6);
    expect(rec.last(breaker.id)).toMatchObject({ value: 1, quality: 'good' });
    expect(rec.last(alarm.id)).toMatchObject({ value: 1, quality: 'good' });
    expect(rec.last(inputReg.id)).toMatchObject({ value: 1234, quality: 'good' });
    expect(rec.status.get(ds)).toBe('online');
        // the first scan pays for isolating the bad register; the following scans reuse the split
    const d = await waitFor(() => { const x = rec.engine.diagnostics(ds)!; return x.requests_per_scan < all.length && x; }, 'a planned scan');
    expect(d.requests_per_scan).toBeLessThan(all.length);
    // the split is remembered: later scans keep the same plan instead of retrying the whole block
    await new Promise((r) => setTimeout(r, 500));
    expect(rec.engine.diagnostics(ds)!.requests_per_scan).toBe(d.requests_per_scan);
    expect(d.last_response).toMatch(/^[0-9a-f]{2}( [0-9a-f]{2})*$/);
  });

  it('isolates a register the device refuses (exception) without poisoning its block', async () => {
    await waitFor(() => rec.last(missing.id), 'the missing register');
    expect(rec.last(missing.id)).toMatchObject({ value: null, quality: 'bad' });
    expect(rec.last(temp.id)!.quality).toBe('good');
    expect(rec.last(setpoint.id)).toMatchObject({ value: 500, quality: 'good' });
    expect(rec.engine.diagnostics(ds)!.errors['exception 2']).toBeGreaterThan(0);
  });

  it('marks a value outside the point limits out_of_range', () => {
    expect(rec.last(limited.id)).toMatchObject({ value: 7, quality: 'out_of_range' });
  });

  it('writes a register (FC6) and a coil (FC5) and reads them back; mbpoll sees the written value', async () => {
    const w = await rec.engine.write(setpoint.id, 777);
    expect(w).toEqual({ ok: true, readback: 777 });
    const out = execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-r', '21', '-c', '1', '-t', '4', '-1', '-p', String(port), '127.0.0.1'], { encoding: 'utf8' });
    expect(out).toMatch(/\[21\]:\s+777/);
    const c = await rec.engine.write(breaker.id, 0);
    expect(c).toEqual({ ok: true, readback: 0 });
    const coil = execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-r', '1', '-c', '1', '-t', '0', '-1', '-p', String(port), '127.0.0.1'], { encoding: 'utf8' });
    expect(coil).toMatch(/\[1\]:\s+0/);
    const ro = await rec.engine.write(inputReg.id, 1);
    expect(ro.ok).toBe(false);
  });

  it('reads one point now with its raw registers and wire bytes', async () => {
    const r = await rec.engine.readNow(temp.id);
    expect(r).toMatchObject({ raw: [0x41ac, 0], value: 21.5, quality: 'good' });
    expect(r.request).toBe('01 03 00 00 00 02');
  });

  it('adds a point live, without a restart', async () => {
    const extra = point(ds, 'Added later', { slave_id: 1, function_code: 3, offset: 30, format: 'uint16' });
    rec.engine.configure([source(ds, 'modbus-tcp', { host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 300, max_backoff_s: 0.5 })], [...all, extra]);
    await waitFor(() => rec.last(extra.id), 'the added point');
    expect(rec.last(extra.id)).toMatchObject({ value: 0, quality: 'good' });
  });

  it('turns every point comm_fail when the device dies, and recovers when it comes back', async () => {
    await peer.stop();
    await waitFor(() => rec.last(temp.id)?.quality === 'comm_fail', 'comm_fail after the peer died', 5000);
    expect(rec.status.get(ds)).toBe('offline');
    for (const p of [delta, breaker, inputReg]) expect(rec.last(p.id)!.quality).toBe('comm_fail');
    peer = await startPymodbus({ port, slaves: slave() });
    await waitFor(() => rec.last(temp.id)?.quality === 'good', 'recovery after the peer came back', 10_000);
    expect(rec.status.get(ds)).toBe('online');
  });
});

describe.skipIf(!enabled)('Modbus RTU over TCP against pymodbus', () => {
  it('reads registers through RTU framing', async () => {
    const port = await freePort();
    const peer = await startPymodbus({ port, framer: 'rtu', slaves: { '3': { hr: { 0: 0x41ac, 1: 0 } } } });
    const rec = recordingEngine();
    try {
      const p = point(2, 'RTU float', { slave_id: 3, function_code: 3, offset: 0, format: 'float32' });
      rec.engine.configure([source(2, 'modbus-rtu', { host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 1000 })], [p]);
      await rec.engine.start();
      await waitFor(() => rec.last(p.id)?.quality === 'good', 'an RTU reading', 5000);
      expect(rec.last(p.id)).toMatchObject({ value: 21.5, quality: 'good' });
    } finally {
      await rec.engine.stop();
      await peer.stop();
    }
  });
});
