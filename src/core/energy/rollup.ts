/**
 * Roll-ups: which meters (of the three kinds) a subject's energy is the sum of. MyEMS's aggregation
 * (myems-aggregation/*_energy_input_category.py) is the model for the input side:
 * - a meter, offline meter or virtual meter: itself;
 * - equipment: its bound meters, input (is_output false, is_counted) or output (is_output true);
 * - combined equipment: its own bound meters by the same rule, plus the input of its equipment whose
 *   is_input_counted is set, or the output of all its equipment;
 * - tenant, store: their bound meters, virtual meters and offline meters that are counted (is_counted);
 * - shopfloor: the same, plus the input of each equipment bound to it whose is_input_counted is set;
 * - space, input: its bound meters that are counted, plus the input of the equipment, combined equipment,
 *   shopfloors, stores and tenants bound to it and of its child spaces, each where is_input_counted is set;
 *   output: the output meters of the equipment and combined equipment bound to it, plus the output of each child
 *   space whose is_output_counted is set.
 * Tenants, stores and shopfloors have no output side (an empty roll-up). A meter reached twice counts once.
 */
import type { Db } from '../store/store';
import type { SubjectKind } from './contract';
import { METER_KIND, type MeterKind } from './storage';

export const SUBJECT_TABLE: Record<SubjectKind, string> = {
  meters: 'meters',
  virtualmeters: 'virtual_meters',
  offlinemeters: 'offline_meters',
  spaces: 'spaces',
  equipments: 'equipments',
  combinedequipments: 'combined_equipments',
  tenants: 'tenants',
  stores: 'stores',
  shopfloors: 'shopfloors',
};

export interface Leaf {
  kind: MeterKind;
  id: number;
}

const KINDS: [string, MeterKind, string][] = [
  ['meters', METER_KIND.meters, 'meters'],
  ['offlinemeters', METER_KIND.offlinemeters, 'offline_meters'],
  ['virtualmeters', METER_KIND.virtualmeters, 'virtual_meters'],
];

const statements = new WeakMap<Db, Map<string, ReturnType<Db['prepare']>>>();
/** prepared once per store: a roll-up of a large tree runs a few hundred of these */
function ids(db: Db, sql: string, arg: number): number[] {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let st = cache.get(sql);
  if (!st) cache.set(sql, (st = db.prepare(sql).pluck()));
  return st.all(arg) as number[];
}

export function leafMeters(db: Db, kind: SubjectKind, id: number, direction: 'input' | 'output'): Leaf[] {
  const seen = new Set<number>();
  const out: Leaf[] = [];
  const add = (k: MeterKind, mid: number) => {
    const key = k * 1e12 + mid;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ kind: k, id: mid });
    }
  };
  /** the meters bound to an owner through rel_<ownerTable>_<rel>, optionally by is_output, optionally only counted ones */
  const bound = (ownerTable: string, ownerId: number, opts: { output?: boolean; counted?: boolean }) => {
    for (const [rel, k, table] of KINDS) {
      const where = [opts.output === undefined ? '' : ` AND l.is_output = ${opts.output ? 1 : 0}`, opts.counted ? ' AND m.is_counted = 1' : ''].join('');
      for (const mid of ids(db, `SELECT l.target_id FROM rel_${ownerTable}_${rel} l JOIN ${table} m ON m.id = l.target_id WHERE l.owner_id = ?${where} ORDER BY l.target_id`, ownerId)) add(k, mid);
    }
  };
  const output = direction === 'output';
  /** bound children of an owner (rel_<ownerTable>_<rel>) whose is_input_counted is set */
  const inputCounted = (ownerTable: string, rel: string, childTable: string, ownerId: number) =>
    ids(db, `SELECT l.target_id FROM rel_${ownerTable}_${rel} l JOIN ${childTable} c ON c.id = l.target_id WHERE l.owner_id = ? AND c.is_input_counted = 1 ORDER BY l.target_id`, ownerId);
  /** an equipment's input (its counted input meters) or output (its output meters) */
  const equipment = (eid: number) => bound('equipments', eid, { output, counted: !output });
  const combined = (cid: number) => {
    bound('combined_equipments', cid, { output, counted: !output });
    const members = output ? ids(db, 'SELECT target_id FROM rel_combined_equipments_equipments WHERE owner_id = ?', cid) : inputCounted('combined_equipments', 'equipments', 'equipments', cid);
    for (const eid of members) equipment(eid);
  };
  const shopfloor = (fid: number) => {
    bound('shopfloors', fid, { counted: true });
    for (const eid of inputCounted('shopfloors', 'equipments', 'equipments', fid)) equipment(eid);
  };
  const space = (sid: number, depth: number) => {
    if (depth > 64) return;
    if (!output) {
      bound('spaces', sid, { counted: true });
      for (const eid of inputCounted('spaces', 'equipments', 'equipments', sid)) equipment(eid);
      for (const cid of inputCounted('spaces', 'combinedequipments', 'combined_equipments', sid)) combined(cid);
      for (const fid of inputCounted('spaces', 'shopfloors', 'shopfloors', sid)) shopfloor(fid);
      for (const tid of inputCounted('spaces', 'stores', 'stores', sid)) bound('stores', tid, { counted: true });
      for (const tid of inputCounted('spaces', 'tenants', 'tenants', sid)) bound('tenants', tid, { counted: true });
    } else {
      for (const eid of ids(db, 'SELECT target_id FROM rel_spaces_equipments WHERE owner_id = ?', sid)) bound('equipments', eid, { output: true });
      for (const cid of ids(db, 'SELECT target_id FROM rel_spaces_combinedequipments WHERE owner_id = ?', sid)) combined(cid);
    }
    const flag = output ? 'is_output_counted' : 'is_input_counted';
    for (const child of ids(db, `SELECT id FROM spaces WHERE parent_space_id = ? AND ${flag} = 1 ORDER BY id`, sid)) space(child, depth + 1);
  };
  switch (kind) {
    case 'meters':
      add(METER_KIND.meters, id);
      break;
    case 'offlinemeters':
      add(METER_KIND.offlinemeters, id);
      break;
    case 'virtualmeters':
      add(METER_KIND.virtualmeters, id);
      break;
    case 'equipments':
      equipment(id);
      break;
    case 'combinedequipments':
      combined(id);
      break;
    case 'tenants':
    case 'stores':
      if (!output) bound(kind, id, { counted: true });
      break;
    case 'shopfloors':
      if (!output) shopfloor(id);
      break;
    case 'spaces':
      space(id, 0);
      break;
  }
  return out;
}
