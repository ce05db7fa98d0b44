/**
 * What an edge node publishes: its configuration (a `sparkplugnodes` row, parsed) and its devices with their
 * metrics. Decision (docs/sparkplug.md): one Sparkplug device per data source (the device id is the data
 * source's name; a dead data source is one place where every metric turns bad), one metric per point, named by
 * the point's name, with the point id as its alias (unique within the edge node).
 */
import { createHash } from 'node:crypto';
import type { TypeStr } from 'sparkplug-payload/lib/sparkplugbpayload';
import type { Store } from '../store/store';
import { deviceId, pointType } from './wire';

export interface NodeConfig {
  id: number;
  name: string;
  enabled: boolean;
  brokerUrl: string;
  tls: { ca?: string; cert?: string; private_key?: string; key_password?: string; reject_unauthorized?: boolean; servername?: string };
  username: string | null;
  password: string | null;
  groupId: string;
  edgeNodeId: string;
  primaryHostId: string | null;
  selection: 'all' | 'spaces' | 'list';
  spaceIds: number[];
  pointIds: number[];
  deadband: number;
  deadbands: Map<number, number>;
  commandsEnabled: boolean;
  writable: Set<number>;
  commandUserId: number | null;
  publishIntervalMs: number;
  outboxMaxBytes: number;
  outboxMaxAgeMs: number;
  historicalPerTick: number;
}

function json<T>(v: unknown, fallback: T): T {
  try {
    return typeof v === 'string' ? (JSON.parse(v) as T) : fallback;
  } catch {
    return fallback;
  }
}

export function nodeConfig(r: Record<string, unknown>): NodeConfig {
  const ids = (v: unknown) => json<unknown[]>(v, []).filter((x): x is number => Number.isSafeInteger(x));
  return {
    id: r.id as number,
    name: String(r.name),
    enabled: r.is_enabled === 1,
    brokerUrl: String(r.broker_url),
    tls: json(r.tls, {}),
    username: typeof r.username === 'string' && r.username !== '' ? r.username : null,
    password: typeof r.password === 'string' && r.password !== '' ? r.password : null,
    groupId: String(r.group_id),
    edgeNodeId: String(r.edge_node_id),
    primaryHostId: typeof r.primary_host_id === 'string' && r.primary_host_id !== '' ? r.primary_host_id : null,
    selection: (r.point_selection as NodeConfig['selection']) ?? 'all',
    spaceIds: ids(r.space_ids),
    pointIds: ids(r.point_ids),
    deadband: typeof r.deadband === 'number' ? r.deadband : 0,
    deadbands: new Map(Object.entries(json<Record<string, number>>(r.deadbands, {})).map(([k, v]) => [Number(k), Number(v)])),
    commandsEnabled: r.commands_enabled === 1,
    writable: new Set(ids(r.writable_point_ids)),
    commandUserId: typeof r.command_user_id === 'number' ? r.command_user_id : null,
    publishIntervalMs: typeof r.publish_interval_ms === 'number' ? r.publish_interval_ms : 250,
    outboxMaxBytes: (typeof r.outbox_max_mb === 'number' ? r.outbox_max_mb : 2048) * 1024 * 1024,
    outboxMaxAgeMs: (typeof r.outbox_max_age_hours === 'number' ? r.outbox_max_age_hours : 168) * 3_600_000,
    historicalPerTick: typeof r.historical_per_tick === 'number' ? r.historical_per_tick : 200,
  };
}

export function loadNodes(store: Store): NodeConfig[] {
  return (store.db.prepare('SELECT * FROM sparkplug_nodes ORDER BY id').all() as Record<string, unknown>[]).map(nodeConfig);
}

export interface PointMetric {
  pointId: number;
  name: string;
  type: TypeStr;
  units: string;
  low: number | null;
  high: number | null;
  description: string | null;
  deadband: number;
  writable: boolean;
}

export interface Device {
  dataSourceId: number;
  /** the Sparkplug device id */
  id: string;
  metrics: PointMetric[];
  /** its metrics' aliases and types: values held encoded against another signature are checked when sent */
  sig: string;
}

export interface Catalog {
  devices: Device[];
  byPoint: Map<number, { device: Device; metric: PointMetric }>;
  byDevice: Map<string, Device>;
  byDataSource: Map<number, Device>;
}

interface PointRow {
  id: number;
  name: string;
  object_type: string;
  units: string | null;
  low_limit: number | null;
  high_limit: number | null;
  description: string | null;
  is_virtual: number;
  ds_id: number;
  ds_name: string;
}

/** The points a node's selection takes, grouped into devices (one per data source). */
export function buildCatalog(store: Store, cfg: NodeConfig): Catalog {
  let rows = store.db
    .prepare('SELECT p.id, p.name, p.object_type, p.units, p.low_limit, p.high_limit, p.description, p.is_virtual, d.id AS ds_id, d.name AS ds_name FROM points p JOIN data_sources d ON d.id = p.data_source_id ORDER BY d.id, p.id')
    .all() as PointRow[];
  if (cfg.selection === 'list') {
    const want = new Set(cfg.pointIds);
    rows = rows.filter((r) => want.has(r.id));
  } else if (cfg.selection === 'spaces') {
    const ids = cfg.spaceIds.length ? cfg.spaceIds : [-1];
    const bound = store.db
      .prepare(
        `WITH RECURSIVE tree(id) AS (SELECT id FROM spaces WHERE id IN (${ids.map(() => '?').join(',')})
           UNION SELECT s.id FROM spaces s JOIN tree t ON s.parent_space_id = t.id)
         SELECT DISTINCT target_id FROM rel_spaces_points WHERE owner_id IN (SELECT id FROM tree)`,
      )
      .pluck()
      .all(...ids) as number[];
    const want = new Set(bound);
    rows = rows.filter((r) => want.has(r.id));
  }
  const devices: Device[] = [];
  const byDataSource = new Map<number, Device>();
  const byDevice = new Map<string, Device>();
  const byPoint = new Map<number, { device: Device; metric: PointMetric }>();
  for (const r of rows) {
    let d = byDataSource.get(r.ds_id);
    if (!d) {
      let id = deviceId(r.ds_name);
      if (byDevice.has(id)) id = `${id}-${r.ds_id}`;
      d = { dataSourceId: r.ds_id, id, metrics: [], sig: '' };
      devices.push(d);
      byDataSource.set(r.ds_id, d);
      byDevice.set(id, d);
    }
    const metric: PointMetric = {
      pointId: r.id,
      name: r.name,
      type: pointType(r.object_type),
      units: r.units ?? '',
      low: r.low_limit,
      high: r.high_limit,
      description: r.description,
      deadband: cfg.deadbands.get(r.id) ?? cfg.deadband,
      writable: cfg.commandsEnabled && cfg.writable.has(r.id) && !r.is_virtual,
    };
    d.metrics.push(metric);
    byPoint.set(r.id, { device: d, metric });
  }
  for (const d of devices) d.sig = createHash('sha1').update(d.metrics.map((m) => `${m.pointId}:${m.type}`).join(',')).digest('base64').slice(0, 16);
  return { devices, byPoint, byDevice, byDataSource };
}
