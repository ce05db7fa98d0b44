import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store';

export type FieldType =
  | 'string' // short text, maxLength 255 unless told
  | 'text' // long text (SVG source, descriptions of any length)
  | 'integer'
  | 'number'
  | 'boolean'
  | 'json' // stored as JSON text; accepted as a JSON string or as an object/array
  | 'datetime' // ISO 8601; stored as given, normalised to 'YYYY-MM-DDTHH:MM:SS'
  | 'time' // HH:MM:SS
  | 'date' // YYYY-MM-DD
  | 'enum'
  | 'ref'; // integer id of another entity

export interface FieldDef {
  name: string;
  type: FieldType;
  label?: string;
  required?: boolean;
  /** null is accepted (and stored) even when required is false; defaults to !required */
  nullable?: boolean;
  default?: unknown;
  unique?: boolean;
  /** unique within the rows sharing this field's value (e.g. a child's parent id) */
  uniqueWith?: string;
  min?: number;
  max?: number;
  maxLength?: number;
  values?: readonly string[];
  /** for 'ref': the referenced entity key */
  ref?: string;
  /** for 'ref': name of the nested object shown in GET responses (MyEMS: "cost_center", "energy_category") */
  embed?: string;
  /** for 'ref': what deleting the referenced row does to this row (default 'restrict') */
  onDelete?: 'restrict' | 'cascade' | 'setNull';
  /** never returned (passwords); readOnly: never accepted from clients (status, last_seen) */
  writeOnly?: boolean;
  readOnly?: boolean;
  /** required only when the rest of the row says so (a point parameter needs its point_id); the text says why */
  requiredWhen?: { test: (record: Record<string, unknown>) => boolean; because: string };
  /** extra check; return a message naming the problem, or null */
  check?: (value: unknown, record: Record<string, unknown>, store: Store) => string | null;
  help?: string;
  /** for 'json': answer the parsed value (an array of tariff periods) instead of the JSON text */
  parsed?: boolean;
  /**
   * for 'json' (default true): secrets inside (keys named password, token, secret...) are write-only:
   * answered as {"set":true}; sending that placeholder back keeps the stored secret
   */
  secretKeys?: boolean;
  /** read by administrators only (others get the object without it): a data source's connection details */
  adminOnly?: boolean;
}

/** A many-to-many bind/unbind sub-resource: /owner/{id}/<name>  body {"data":{"<field>":id}} */
export interface RelationDef {
  name: string;
  target: string;
  /** id field in the bind body, e.g. 'meter_id' */
  field: string;
  label?: string;
  /** extra columns carried by the link (e.g. is_output) */
  extra?: FieldDef[];
}

/** Rows of another entity that belong to this one through their FK: /owner/{id}/<name> */
export interface ChildDef {
  name: string;
  entity: string;
  field: string;
}

export interface RequestContext {
  store: Store;
  userId: number | null;
  userName: string;
  /** extra fields for the answer to this request (e.g. a secret shown once) */
  reply?: Record<string, unknown>;
}

export interface EntityDef {
  key: string;
  /** URL segment under /api; null for entities reached only through their parent */
  path: string | null;
  table: string;
  label: string;
  group: string;
  fields: FieldDef[];
  /** shows a uuid column (default true) */
  uuid?: boolean;
  /** MyEMS's `qrcode` in every answer: '<prefix>:' + uuid (e.g. 'meter', 'space', 'combinedequipment') */
  qrcode?: string;
  /** columns added to the nested {id, name, uuid} object other rows show of this one (a timezone's utc_offset) */
  briefFields?: string[];
  /** the field that names a row (default 'name'); unique unless nameUnique false */
  nameField?: string | null;
  nameUnique?: boolean;
  relations?: RelationDef[];
  /**
   * Deleting a row also removes its own bindings (its relations above), as MyEMS does for spaces, tenants,
   * stores, shopfloors, equipment...; a row bound *by* another one, or referenced through a foreign key, is
   * still refused. Without it, a row with bindings is refused until they are unbound.
   */
  deleteBindings?: boolean;
  children?: ChildDef[];
  /** nested-only children: routes /parentPath/{id}/<nestedName>[/{cid}] with the FK taken from the URL */
  nestedUnder?: { entity: string; field: string; name: string };
  export?: boolean;
  import?: boolean;
  clone?: boolean;
  /** admin only for writes (default true); readAdminOnly also hides reads from non-admins */
  readAdminOnly?: boolean;
  /** rows a non-admin user may see, given the spaces their privilege allows (null = all) */
  hooks?: EntityHooks;
  /** routes beyond the generated ones */
  routes?: (app: FastifyInstance, deps: EntityRouteDeps) => void;
  /** per-row fields computed at read time (status from last_seen...) */
  computed?: (row: Record<string, unknown>, store: Store) => Record<string, unknown>;
}

export interface EntityHooks {
  /** turn accepted input into stored columns (e.g. hash a password); may throw ApiError */
  beforeWrite?: (input: Record<string, unknown>, ctx: RequestContext & { id: number | null; existing: Record<string, unknown> | null }) => void;
  afterWrite?: (id: number, ctx: RequestContext & { op: 'create' | 'update' | 'delete' }) => void;
  beforeDelete?: (id: number, ctx: RequestContext) => void;
}

/** A binding removed because its owner was deleted (each one is audited). */
export interface RemovedBinding {
  relation: string;
  target: string;
  targetId: number;
}

export type ChangeOp = 'create' | 'update' | 'delete' | 'bind' | 'unbind' | 'import' | 'clone';

export interface EntityRouteDeps {
  registry: import('./registry').Registry;
  store: Store;
  /** an administrator's write: one transaction, one audit entry, change notifications; as the generated routes do */
  write<T>(
    req: import('fastify').FastifyRequest,
    def: EntityDef,
    op: ChangeOp,
    target: string,
    fn: (ctx: RequestContext) => T,
    changed?: (r: T) => { entity: string; id: number; op: 'create' | 'update' | 'delete' }[],
  ): { result: T; ctx: RequestContext };
}
