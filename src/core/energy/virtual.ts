/**
 * Virtual meters: the MyEMS `expression` ({"equation":"x1-x2","variables":[{"name","meter_type","meter_id"}]})
 * evaluated hour by hour on the hourly energy of the meters, offline meters and virtual meters it names, with
 * the safe expression parser of virtual points (mathjs, never eval). An hour where any input is missing is
 * missing; an input's estimated or flagged hour makes the result estimated or flagged. A virtual meter may not
 * depend on itself, directly or through others: saving one that would is refused (checkVirtualExpression).
 */
import { compileVirtual, type CompiledVirtual } from '../acquisition/virtual';
import type { Db, Store } from '../store/store';
import { HOUR, type HourValue } from './normalize';
import { meterKey } from './meters';
import { METER_KIND, type EnergyStorage, type MeterKind } from './storage';

const TYPE_KIND: Record<string, MeterKind> = { meter: METER_KIND.meters, offline_meter: METER_KIND.offlinemeters, virtual_meter: METER_KIND.virtualmeters };
const TYPE_TABLE: Record<string, string> = { meter: 'meters', offline_meter: 'offline_meters', virtual_meter: 'virtual_meters' };

interface Variable {
  name: string;
  meter_type: string;
  meter_id: number;
}

export interface VirtualDef {
  id: number;
  key: number;
  inputs: { name: string; kind: MeterKind; id: number; key: number }[];
  compiled: CompiledVirtual | null;
  sig: string;
}

function parseExpression(v: unknown): { equation: string; variables: Variable[] } | null {
  try {
    const e = typeof v === 'string' ? JSON.parse(v) : v;
    if (!e || typeof e.equation !== 'string' || !Array.isArray(e.variables)) return null;
    return { equation: e.equation, variables: e.variables.map((x: Variable) => ({ name: String(x.name), meter_type: String(x.meter_type), meter_id: Number(x.meter_id) })) };
  } catch {
    return null;
  }
}

const compile = (e: { equation: string; variables: Variable[] }) => compileVirtual({ expression: e.equation, substitutions: Object.fromEntries(e.variables.map((x) => [x.name, Math.max(1, x.meter_id)])) });

export function loadVirtualDefs(db: Db, log: (line: string) => void): Map<number, VirtualDef> {
  const out = new Map<number, VirtualDef>();
  for (const r of db.prepare('SELECT id, expression FROM virtual_meters ORDER BY id').all() as { id: number; expression: string }[]) {
    const e = parseExpression(r.expression);
    let compiled: CompiledVirtual | null = null;
    if (e) {
      try {
        compiled = compile(e);
      } catch (err) {
        log(`energy: virtual meter ${r.id}: ${(err as Error).message}`);
      }
    }
    const inputs = (e?.variables ?? [])
      .filter((x) => TYPE_KIND[x.meter_type] !== undefined)
      .map((x) => ({ name: x.name, kind: TYPE_KIND[x.meter_type], id: x.meter_id, key: meterKey(TYPE_KIND[x.meter_type], x.meter_id) }));
    out.set(meterKey(METER_KIND.virtualmeters, r.id), { id: r.id, key: meterKey(METER_KIND.virtualmeters, r.id), inputs, compiled, sig: String(r.expression) });
  }
  return out;
}

/** the virtual meter's hours in [from, to) from its inputs' stored hours */
export function computeVirtual(storage: EnergyStorage, def: VirtualDef, from: number, to: number): HourValue[] {
  if (!def.compiled || !def.inputs.length) return [];
  const series = def.inputs.map((x) => {
    const m = new Map<number, [number, number]>();
    for (const [hour, value, , flags] of storage.rawHours(x.kind, x.id, from, to)) m.set(hour, [value, flags]);
    return m;
  });
  // only hours every input has
  const out: HourValue[] = [];
  const scope = new Map<string, number>();
  for (const hour of series[0].keys()) {
    let flags = 0;
    let complete = true;
    for (let i = 0; i < series.length; i++) {
      const v = series[i].get(hour);
      if (!v) {
        complete = false;
        break;
      }
      scope.set(def.inputs[i].name, v[0]);
      flags |= v[1];
    }
    if (!complete) continue;
    const value = def.compiled.evaluate(scope);
    if (value !== null) out.push({ hour, value, flags });
  }
  return out.sort((a, b) => a.hour - b.hour);
}

/** the span of hours the inputs have */
export function inputSpan(storage: EnergyStorage, def: VirtualDef): [number, number] | null {
  let from = Infinity;
  let to = -Infinity;
  for (const x of [...def.inputs, { kind: METER_KIND.virtualmeters, id: def.id }]) {
    const b = storage.bounds(x.kind, x.id);
    if (b) {
      from = Math.min(from, b.first);
      to = Math.max(to, b.last + HOUR);
    }
  }
  return from < to ? [from, to] : null;
}

/**
 * The check of a virtual meter's expression when it is saved: the equation must parse, every variable must
 * name an existing meter, and the meter may not depend on itself. A message naming the problem, or null.
 */
export function checkVirtualExpression(v: unknown, row: Record<string, unknown>, store: Store): string | null {
  const e = parseExpression(v);
  if (!e) return null; // the shape check reports it
  for (const [i, x] of e.variables.entries()) {
    const table = TYPE_TABLE[x.meter_type];
    if (table && !store.db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(x.meter_id)) return `expression.variables[${i}] names ${x.meter_type} ${x.meter_id}, which does not exist`;
  }
  try {
    compile(e);
  } catch (err) {
    return `expression.equation: ${(err as Error).message.replace(/^address\.(expression|substitutions)\s*/, '')}`;
  }
  const self = typeof row.id === 'number' ? row.id : null;
  if (self === null) return null; // a new meter cannot be named by anything yet
  // follow virtual inputs; reaching this meter again is a cycle
  const seen = new Set<number>();
  const stack = e.variables.filter((x) => x.meter_type === 'virtual_meter').map((x) => [x.meter_id, `virtual meter ${x.meter_id}`] as [number, string]);
  while (stack.length) {
    const [id, path] = stack.pop()!;
    if (id === self) return `expression would make the virtual meter depend on itself (${path})`;
    if (seen.has(id)) continue;
    seen.add(id);
    const next = parseExpression(store.db.prepare('SELECT expression FROM virtual_meters WHERE id = ?').pluck().get(id));
    for (const x of next?.variables ?? []) if (x.meter_type === 'virtual_meter') stack.push([x.meter_id, `${path} -> virtual meter ${x.meter_id}`]);
  }
  return null;
}
