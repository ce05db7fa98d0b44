/**
 * The acquisition hot path at 10,000 Modbus points on a 1 s scan, against pymodbus peers on loopback.
 * 1. The engine alone, in this process: 10,000 float32 points, requests per scan (against one request per point),
 *    scan time, the engine's CPU per scan as a fraction of one core, values per second, RSS.
 * 2. Side by side with Node-RED (bench/acquisition/side-by-side.ts): Switchyard as it ships (the built server in a
 *    child process) and Node-RED + node-red-contrib-modbus polling the same registers of the same peers at the same
 *    time; CPU %, RSS median and max, reads completed against reads due, and the ratios. Node-RED is installed
 *    outside the project by `npx tsx bench/nodered/setup.ts`; without it Switchyard is measured alone.
 * Options (also `npm run bench -- acquisition --minutes 5`): --minutes N (2), --warmup S (15), --peers N (4),
 * --points N (10000), --float32, --no-history, --apart (one after the other), --nodered-clients N (1 per peer),
 * --no-engine (skip part 1); or
 * ACQ_MINUTES, ACQ_PEERS, ...
 * Goal: 10,000 points on a 1 s scan under a third of a core; memory at most Node-RED's.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAcquisitionService, type PointConfig, type ValueBatch } from '../src/core/acquisition/contracts';
import { startPymodbus } from '../test/peers/peers';
import { freePort } from '../test/support/process';
import { sideBySide, sideBySideOptions } from './acquisition/side-by-side';

const POINTS = 10_000;
const SCANS = 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The acquisition engine alone, in this process (no server, no history): CPU per scan and requests per scan. */
async function engineAlone(): Promise<void> {
  const port = await freePort();
  const peer = await startPymodbus({ port, slaves: { '1': {} }, sequential_hr: POINTS * 2 });
  const points: PointConfig[] = Array.from({ length: POINTS }, (_, i) => ({
    id: i + 1,
    name: `P${i}`,
    data_source_id: 1,
    object_type: 'ANALOG_VALUE',
    units: 'kW',
    high_limit: null,
    low_limit: null,
    ratio: 1,
    offset_constant: 0,
    is_trend: true,
    is_virtual: false,
    address: { slave_id: 1, function_code: 3, offset: i * 2, number_of_registers: 2, format: '>f' },
  }));
  let values = 0;
  const scanEnds: number[] = [];
  const engine = createAcquisitionService({
    values: (batch: ValueBatch) => {
      values += batch.length;
      if (batch.length >= POINTS) scanEnds.push(performance.now());
    },
    dataSourceStatus: () => undefined,
  });
  try {
    engine.configure([{ id: 1, name: 'bench', gateway_id: null, protocol: 'modbus-tcp', connection: { host: '127.0.0.1', port, interval_in_seconds: 1, timeout_ms: 2000 } }], points);
    await engine.start();
    // warm-up: connection and the first scan
    while (scanEnds.length < 1) await new Promise((r) => setTimeout(r, 50));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const values0 = values;
    const durations: number[] = [];
    while (scanEnds.length < SCANS + 1) {
      await new Promise((r) => setTimeout(r, 50));
      const d = engine.diagnostics(1);
      if (d?.scan_duration_ms && durations.length < scanEnds.length) durations.push(d.scan_duration_ms);
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const d = engine.diagnostics(1)!;
    const cpuPerScanMs = (cpu.user + cpu.system) / 1000 / SCANS;
    console.log(`acquisition: ${POINTS} Modbus float32 points, 1 s scan, pymodbus on loopback`);
    console.log(`  requests per scan      ${d.requests_per_scan} (one request per point would be ${POINTS}: ${(POINTS / d.requests_per_scan).toFixed(0)}x fewer)`);
    console.log(`  scan duration          median ${median(durations).toFixed(0)} ms (device round trips included; rtt p50 ${d.rtt_ms.p50} ms, p95 ${d.rtt_ms.p95} ms)`);
    console.log(`  engine CPU per scan    ${cpuPerScanMs.toFixed(1)} ms = ${((cpuPerScanMs / 1000) * 100).toFixed(1)} % of one core at a 1 s scan (goal < 33 %)`);
    console.log(`  values delivered       ${((values - values0) / wall).toFixed(0)} per second`);
    console.log(`  RSS                    ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
  } finally {
    await engine.stop();
    await peer.stop();
  }
}

export async function run(): Promise<void> {
  const options = sideBySideOptions();
  if (!process.argv.includes('--no-engine')) await engineAlone();
  await sideBySide(options);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
