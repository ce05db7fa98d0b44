// Simulated Sparkplug B edge nodes for bench/central.bench.ts, in a process of their own so that encoding and
// publishing do not share the host's event loop: each edge connects (NDEATH as will), publishes NBIRTH and a DBIRTH
// with METRICS Double metrics (aliases 1..METRICS), then every second one DDATA carrying a new value of every metric.
// argv: brokerUrl edges metrics seconds group. Prints READY after the births, waits for GO on stdin, then prints one
// line per second, then DONE.
import mqtt from 'mqtt';
import sparkplug from 'sparkplug-payload';

const [url, edgesArg, metricsArg, secondsArg, group] = process.argv.slice(2);
const EDGES = Number(edgesArg);
const METRICS = Number(metricsArg);
const SECONDS = Number(secondsArg);
const codec = sparkplug.get('spBv1.0');

const edges = [];
for (let e = 0; e < EDGES; e++) {
  const node = `edge-${String(e).padStart(3, '0')}`;
  const will = codec.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] });
  const client = await mqtt.connectAsync(url, { clientId: `bench-${node}-${process.pid}`, clean: true, reconnectPeriod: 0, will: { topic: `spBv1.0/${group}/NDEATH/${node}`, payload: Buffer.from(will), qos: 1, retain: false } });
  edges.push({ node, client, seq: 0 });
}
const now = Date.now();
for (const edge of edges) {
  const t = (type, dev) => `spBv1.0/${group}/${type}/${edge.node}${dev ? `/${dev}` : ''}`;
  await edge.client.publishAsync(t('NBIRTH'), Buffer.from(codec.encodePayload({ timestamp: now, seq: edge.seq++, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }, { name: 'Node Control/Rebirth', type: 'Boolean', value: false }] })), { qos: 0 });
  const metrics = [];
  for (let i = 1; i <= METRICS; i++) metrics.push({ name: `m${i}`, alias: i, type: 'Double', value: 0, timestamp: now });
  await edge.client.publishAsync(t('DBIRTH', 'dev'), Buffer.from(codec.encodePayload({ timestamp: now, seq: edge.seq++, metrics })), { qos: 0 });
}
process.stdout.write('READY\n');
// the data starts when the bench says GO (after it has seen the births stored)
await new Promise((resolve) => {
  let buf = '';
  process.stdin.on('data', (d) => {
    buf += d.toString();
    if (buf.includes('GO')) resolve();
  });
});
let sent = 0;
const started = Date.now();
for (let s = 1; s <= SECONDS; s++) {
  const ts = Date.now();
  for (const edge of edges) {
    const metrics = new Array(METRICS);
    for (let i = 0; i < METRICS; i++) metrics[i] = { alias: i + 1, type: 'Double', value: s + i / METRICS, timestamp: ts };
    edge.client.publish(`spBv1.0/${group}/DDATA/${edge.node}/dev`, Buffer.from(codec.encodePayload({ timestamp: ts, seq: edge.seq, metrics })), { qos: 0 });
    edge.seq = (edge.seq + 1) % 256;
    sent += METRICS;
  }
  const wait = started + s * 1000 - Date.now();
  process.stdout.write(`SECOND ${s} sent=${sent} late_ms=${Math.max(0, -wait)}\n`);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
for (const edge of edges) await edge.client.endAsync();
process.stdout.write(`DONE sent=${sent}\n`);
process.exit(0);
