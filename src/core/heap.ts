/**
 * How far V8 lets the old generation grow between two full collections. On a machine with gigabytes free V8 lets it
 * reach up to 4x what was live after the last one: at 10,000 points a second (~45 MB live) the served process went
 * from ~45 MB to 90-170 MB of heap between two full collections, most of it values of earlier scans, and RSS followed
 * (bench/memory.bench.ts: 203-324 MB). A growth of 30 % collects sooner, more often (a full collection marks
 * incrementally, a few ms per step), and keeps the heap near what is live. A --heap-growing-percent given to node
 * (NODE_OPTIONS or the command line) is left as it is.
 */
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 30;

export function limitHeapGrowth(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--heap[-_]growing[-_]percent/.test(a));
  if (!given) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
