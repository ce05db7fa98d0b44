/**
 * Report subjects (meter, space, equipment, ...): how MyEMS names them in the query (`meterid`/`meteruuid`),
 * their table and answer key, and who may read them. A user whose privilege names spaces sees those spaces,
 * their sub-spaces and what is bound to them (directly, or a meter through equipment/tenant/store/shopfloor
 * bound to them); anything else is a 403, not an empty report.
 */
import { ApiError, badRequest, forbidden, notFound } from '../api/errors';
import type { Principal } from '../auth/service';
import type { SubjectKind } from '../energy/contract';
import { allowedSpaces } from '../model/routes';
import type { Store } from '../store/store';
import { str, type Query } from './params';

export interface SubjectInfo {
  kind: SubjectKind;
  /** query parameter stem: meterid / meteruuid */
  param: string;
  table: string;
  /** key of the subject object in the answer: meter, virtual_meter, space, ... */
  key: string;
  label: string;
  /** rel_spaces_<link> binds it to spaces */
  link: string;
}

export const SUBJECTS: Record<SubjectKind, SubjectInfo> = {
  meters: { kind: 'meters', param: 'meter', table: 'meters', key: 'meter', label: 'Meter', link: 'meters' },
  virtualmeters: { kind: 'virtualmeters', param: 'virtualmeter', table: 'virtual_meters', key: 'virtual_meter', label: 'Virtual Meter', link: 'virtualmeters' },
  offlinemeters: { kind: 'offlinemeters', param: 'offlinemeter', table: 'offline_meters', key: 'offline_meter', label: 'Offline Meter', link: 'offlinemeters' },
  spaces: { kind: 'spaces', param: 'space', table: 'spaces', key: 'space', label: 'Space', link: 'spaces' },
  equipments: { kind: 'equipments', param: 'equipment', table: 'equipments', key: 'equipment', label: 'Equipment', link: 'equipments' },
  combinedequipments: { kind: 'combinedequipments', param: 'combinedequipment', table: 'combined_equipments', key: 'combined_equipment', label: 'Combined Equipment', link: 'combinedequipments' },
  tenants: { kind: 'tenants', param: 'tenant', table: 'tenants', key: 'tenant', label: 'Tenant', link: 'tenants' },
  stores: { kind: 'stores', param: 'store', table: 'stores', key: 'store', label: 'Store', link: 'stores' },
  shopfloors: { kind: 'shopfloors', param: 'shopfloor', table: 'shopfloors', key: 'shopfloor', label: 'Shopfloor', link: 'shopfloors' },
};

export type Row = Record<string, unknown>;

export interface Subject {
  info: SubjectInfo;
  id: number;
  row: Row;
}

const UUID = /^[a-f0-9]{8}-?[a-f0-9]{4}-?[a-f0-9]{4}-?[a-f0-9]{4}-?[a-f0-9]{12}$/i;

/** The subject named by `<param>id` or `<param>uuid`; 400 when neither or malformed, 404 when unknown. */
export function resolveSubject(store: Store, q: Query, kind: SubjectKind): Subject {
  const info = SUBJECTS[kind];
  const idName = `${info.param}id`;
  const uuidName = `${info.param}uuid`;
  const idText = str(q, idName);
  const uuid = str(q, uuidName);
  const code = `API.INVALID_${info.label.toUpperCase().replace(/\W+/g, '_')}`;
  let row: Row | undefined;
  if (idText !== undefined) {
    if (!/^\d+$/.test(idText) || Number(idText) <= 0 || !Number.isSafeInteger(Number(idText))) throw badRequest(`${code}_ID`, `${idName} must be a positive integer`, idName);
    row = store.db.prepare(`SELECT * FROM ${info.table} WHERE id = ?`).get(Number(idText)) as Row | undefined;
  } else if (uuid !== undefined) {
    if (!UUID.test(uuid)) throw badRequest(`${code}_UUID`, `${uuidName} must be a UUID`, uuidName);
    row = store.db.prepare(`SELECT * FROM ${info.table} WHERE uuid = ?`).get(uuid) as Row | undefined;
  } else {
    throw badRequest(`${code}_ID`, `${idName} (or ${uuidName}) is required`, idName);
  }
  if (!row) throw notFound(`API.${info.label.toUpperCase().replace(/\W+/g, '_')}_NOT_FOUND`, `${info.label} not found`);
  return { info, id: row.id as number, row };
}

/**
 * resolveSubject for a subject whose id and uuid parameters have other names (`alias`: the resolver's name -> the
 * query's, e.g. meterid -> meterid2): read from those, and a 400 names the parameter the caller sent.
 */
export function resolveAliased(store: Store, q: Query, kind: SubjectKind, alias: Record<string, string>): Subject {
  try {
    return resolveSubject(store, Object.fromEntries(Object.entries(alias).map(([k, from]) => [k, q[from]])) as Query, kind);
  } catch (e) {
    const to = e instanceof ApiError && e.status === 400 && e.field ? alias[e.field] : undefined;
    if (to) throw badRequest((e as ApiError).description, (e as ApiError).message.split((e as ApiError).field!).join(to), to);
    throw e;
  }
}

const tableExists = (store: Store, name: string) => !!store.db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?").get(name);

/** The spaces a subject is bound to (a space: itself). */
export function spacesOf(store: Store, kind: SubjectKind, id: number): number[] {
  if (kind === 'spaces') return [id];
  const info = SUBJECTS[kind];
  const out = new Set<number>();
  const direct = `rel_spaces_${info.link}`;
  if (tableExists(store, direct)) for (const r of store.db.prepare(`SELECT owner_id FROM ${direct} WHERE target_id = ?`).all(id) as { owner_id: number }[]) out.add(r.owner_id);
  // meters (and equipment) reach spaces through the entities they are bound to
  const owners: [string, SubjectKind][] = [
    ['equipments', 'equipments'],
    ['combined_equipments', 'combinedequipments'],
    ['tenants', 'tenants'],
    ['stores', 'stores'],
    ['shopfloors', 'shopfloors'],
  ];
  for (const [table, ownerKind] of owners) {
    if (ownerKind === kind) continue;
    const link = `rel_${table}_${info.link}`;
    if (!tableExists(store, link)) continue;
    for (const r of store.db.prepare(`SELECT owner_id FROM ${link} WHERE target_id = ?`).all(id) as { owner_id: number }[]) {
      const direct2 = `rel_spaces_${SUBJECTS[ownerKind].link}`;
      if (!tableExists(store, direct2)) continue;
      for (const s of store.db.prepare(`SELECT owner_id FROM ${direct2} WHERE target_id = ?`).all(r.owner_id) as { owner_id: number }[]) out.add(s.owner_id);
    }
  }
  return [...out];
}

/** 403 unless the principal may see the subject. */
export function authorize(store: Store, p: Principal, kind: SubjectKind, id: number): void {
  if (p.isAdmin || p.spaces === null) return;
  const allowed = allowedSpaces(store, p.spaces);
  if (spacesOf(store, kind, id).some((s) => allowed.has(s))) return;
  throw forbidden('API.FORBIDDEN', `your privilege does not include this ${SUBJECTS[kind].label.toLowerCase()}`);
}

export function requireEnergy<T>(services: Map<string, unknown>): T {
  const e = services.get('energy') as T | undefined;
  if (!e) throw new ApiError(503, 'API.SERVICE_UNAVAILABLE', 'API.ENERGY_PIPELINE_UNAVAILABLE', 'the energy pipeline is not running in this build');
  return e;
}
