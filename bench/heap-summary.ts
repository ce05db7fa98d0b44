/**
 * Sums a V8 heap snapshot (.heapsnapshot, e.g. from HISTORIAN_SOAK_SNAPSHOT) by node type and constructor name:
 * where the JS heap goes, largest first. Usage: npx tsx bench/heap-summary.ts FILE [TOP]
 */
import fs from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

export function summarize(file: string, top = 25): string[] {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const sums = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]];
    const name = type === 'object' || type === 'native' ? snap.strings[snap.nodes[i + nameAt]] : `(${type})`;
    const key = `${name}`;
    const s = sums.get(key) ?? { size: 0, count: 0 };
    s.size += snap.nodes[i + sizeAt];
    s.count++;
    sums.set(key, s);
  }
  return [...sums.entries()]
    .sort((a, b) => b[1].size - a[1].size)
    .slice(0, top)
    .map(([name, s]) => `${(s.size / 1024 / 1024).toFixed(1).padStart(7)} MB ${String(s.count).padStart(9)} x ${name.slice(0, 80)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of summarize(process.argv[2], Number(process.argv[3] ?? 25))) process.stdout.write(`${line}\n`);
}
