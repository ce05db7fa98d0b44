/**
 * The Modbus read planner: merges points into as few requests as the protocol allows, per slave and
 * function code: contiguous or near ranges (gap up to maxGap) of at most 125 registers (function codes 3, 4)
 * or 2000 bits (1, 2). A block that answered with an exception is split in two and retried half by half
 * until the bad address is isolated; the split is remembered so the next scans do not repeat the failure.
 */

export const MAX_REGISTERS = 125;
export const MAX_BITS = 2000;

export interface PlannedItem {
  /** any key the caller uses to find the point again */
  key: number;
  slave: number;
  fc: 1 | 2 | 3 | 4;
  start: number;
  /** registers or bits */
  length: number;
}

export interface ReadBlock {
  slave: number;
  fc: 1 | 2 | 3 | 4;
  start: number;
  length: number;
  items: PlannedItem[];
}

export interface PlanOptions {
  /** largest hole (registers or bits) bridged inside one request; default 10 */
  maxGap?: number;
  maxRegisters?: number;
  maxBits?: number;
}

export function planReads(items: PlannedItem[], opts: PlanOptions = {}): ReadBlock[] {
  const maxGap = opts.maxGap ?? 10;
  const groups = new Map<string, PlannedItem[]>();
  for (const it of items) {
    const k = `${it.slave}:${it.fc}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(it);
  }
  const blocks: ReadBlock[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.start - b.start || b.length - a.length);
    const limit = g[0].fc <= 2 ? (opts.maxBits ?? MAX_BITS) : (opts.maxRegisters ?? MAX_REGISTERS);
    let cur: ReadBlock | null = null;
    for (const it of g) {
      const end = it.start + it.length;
      if (cur) {
        const curEnd = cur.start + cur.length;
        const gap = it.start - curEnd;
        const newLength = Math.max(curEnd, end) - cur.start;
        if (gap <= maxGap && newLength <= limit) {
          cur.length = newLength;
          cur.items.push(it);
          continue;
        }
      }
      cur = { slave: it.slave, fc: it.fc, start: it.start, length: it.length, items: [it] };
      blocks.push(cur);
    }
  }
  return blocks;
}

/** Splits a failed block into two halves along its items (an item is never cut). Null when it holds one item. */
export function splitBlock(block: ReadBlock): [ReadBlock, ReadBlock] | null {
  if (block.items.length < 2) return null;
  const mid = Math.ceil(block.items.length / 2);
  const make = (items: PlannedItem[]): ReadBlock => {
    const start = Math.min(...items.map((i) => i.start));
    const end = Math.max(...items.map((i) => i.start + i.length));
    return { slave: block.slave, fc: block.fc, start, length: end - start, items };
  };
  return [make(block.items.slice(0, mid)), make(block.items.slice(mid))];
}
