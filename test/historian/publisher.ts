/**
 * A runtime that publishes one value of a trended point every millisecond until it is killed.
 * Usage: tsx publisher.ts <dataDir>; prints "POINT <id>" once publishing.
 */
import { systemContext } from '../../src/core/demo/defaults';
import { createRuntime } from '../../src/core/runtime';
import { ValueBatch } from '../../src/core/values/batch';

const dataDir = process.argv[2];
const runtime = createRuntime({ dataDir, port: 0, seed: 'empty', adminPassword: 'Publisher-1', log: () => undefined });
await runtime.start();
const ctx = runtime.context!;
const sys = systemContext(ctx.store);
const gw = ctx.registry.create(sys, ctx.registry.get('gateways'), { name: 'GW' });
const ds = ctx.registry.create(sys, ctx.registry.get('datasources'), { name: 'Hand', gateway_id: gw, protocol: 'manual', connection: '{}' });
const point = ctx.registry.create(sys, ctx.registry.get('points'), { name: 'Fast', data_source_id: ds, object_type: 'ANALOG_VALUE', is_trend: true, address: '{}' });
ctx.registry.emit('points', 'create', point);
let i = 0;
let last = 0;
setInterval(() => {
  const now = Date.now();
  const ts = now > last ? now : last + 1;
  last = ts;
  ctx.values.publish(ValueBatch.of([{ point_id: point, value: i++, quality: 'good', ts }]));
}, 1);
process.stdout.write(`POINT ${point}\n`);
