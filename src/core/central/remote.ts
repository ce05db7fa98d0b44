/**
 * Remote sites as first-class points: every screen of the central server (Overview, Diagrams, Trends, Alarms,
 * reports, the live stream) shows an edge site's data without knowing it is remote.
 * - Each edge node seen by a Sparkplug host is a data source of protocol `sparkplug` (no driver: this file feeds
 *   it), under one gateway per host configuration, named `<group>/<node>`.
 * - Each metric of a birth (numbers, booleans, text) is a point of it, named `<device>/<metric>` (node metrics:
 *   `<metric>`), with the birth's unit and an object type from its datatype; created or updated through the entity
 *   registry at the birth (audited, so acquisition, alarms and the historian follow as for any configuration
 *   change), never deleted automatically (its limits, alarms and bindings are configured centrally).
 * - Values of births and data go on the value bus with their source timestamp and the Quality the edge sent, so
 *   the latest value, the historian (which stores them as any trended point's), point alarms and the live stream
 *   work for them. Historical values (store-and-forward replays) and values older than the point's latest go to
 *   the historian's storage only, never as latest.
 * - NDEATH: the data source turns offline (its OFFLINE alarm follows) and its points comm_fail; DDEATH: the
 *   device's points comm_fail. After a restart of the server a site is `connecting` until its next birth, and
 *   offline (points comm_fail) if none comes within STARTUP_GRACE_MS.
 * Edge alarms (`Alarms/Event`) are handed to remote-alarms.ts.
 */
import type { RuntimeContext } from '../feature';
import type { Historian } from '../historian/feature';
import type { Change } from '../model/registry';
import type { RequestContext } from '../model/types';
import { type PointValue, type Quality, ValueBatch } from '../values/bus';
import type { EdgeAlarms } from './remote-alarms';
import type { NodeSession } from './sessions';
import { metricKey } from './storage';
import type { Metric, Payload, SparkplugTopic } from './wire';

export const PROTOCOL = 'sparkplug';
/** after a restart, a site not born again within this long is offline */
export const STARTUP_GRACE_MS = 60_000;
/** last_seen_datetime of a site is written at most this often while its status stays the same */
const SEEN_WRITE_MS = 5_000;
/** Sparkplug session metrics and Switchyard's event metrics (sparkplug/events.ts): not process values */
const NOT_POINTS = /^(bdSeq$|Node Control\/|Alarms\/Event$|Energy\/Hourly$|Demand Response\/Event$|Audit\/Entry$)/;
export const ALARM_EVENT_METRIC = 'Alarms/Event';

type ObjectType = 'ANALOG_VALUE' | 'DIGITAL_VALUE' | 'BINARY_VALUE' | 'TEXT_VALUE';

/** The point type of a Sparkplug datatype (as Switchyard's edge maps them the other way); null: not a point (data sets, templates, bytes, arrays). */
export function objectTypeOf(datatype: string): ObjectType | null {
  switch (datatype) {
    case 'Boolean':
      return 'BINARY_VALUE';
    case 'String':
    case 'Text':
    case 'UUID':
      return 'TEXT_VALUE';
    case 'Int8':
    case 'Int16':
    case 'Int32':
    case 'UInt8':
    case 'UInt16':
    case 'UInt32':
      return 'DIGITAL_VALUE';
    case 'Int64':
    case 'UInt64':
    case 'Float':
    case 'Double':
      return 'ANALOG_VALUE';
    default:
      return null;
  }
}

interface RemotePoint {
  id: number;
  device: string;
  objectType: string;
  units: string;
  /** the newest source timestamp published as its latest value */
  lastTs: number;
}

interface Site {
  dataSourceId: number;
  name: string;
  /** point name -> point */
  points: Map<string, RemotePoint>;
  status: string;
  seenWritten: number;
}

const siteKey = (hostId: number, group: string, node: string) => `${hostId}\0${group}\0${node}`;
const pointName = (device: string, metric: string) => (device ? `${device}/${metric}` : metric);

export class RemotePoints {
  private readonly sites = new Map<string, Site>();
  /** central metric id -> its point (learnt from births) */
  private readonly byMetric = new Map<number, RemotePoint>();
  /** central metric id -> its name (every metric of a birth, points or not: aliases in data name no metric) */
  private readonly metricNames = new Map<number, string>();
  private graceTimer: NodeJS.Timeout | null = null;
  private readonly born = new Set<Site>();
  /** host configuration id -> its remote_points setting (forgotten when the configuration changes) */
  private readonly enabled = new Map<number, boolean>();
  private readonly sys: RequestContext;

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly alarms: EdgeAlarms,
  ) {
    this.sys = { store: ctx.store, userId: null, userName: 'central (Sparkplug birth)' };
  }

  /** Known remote data sources and their points; every site `connecting` until its next birth. */
  start(): void {
    const { db } = this.ctx.store;
    const sources = db.prepare("SELECT id, name, connection FROM data_sources WHERE protocol = 'sparkplug'").all() as { id: number; name: string; connection: string }[];
    const points = db.prepare("SELECT p.id, p.name, p.object_type, p.units, p.address FROM points p WHERE p.data_source_id = ?");
    for (const ds of sources) {
      const c = parseJson(ds.connection);
      if (typeof c.host_config_id !== 'number' || typeof c.group_id !== 'string' || typeof c.edge_node_id !== 'string') continue;
      const site: Site = { dataSourceId: ds.id, name: ds.name, points: new Map(), status: 'connecting', seenWritten: 0 };
      for (const p of points.all(ds.id) as { id: number; name: string; object_type: string; units: string | null; address: string }[]) {
        const a = parseJson(p.address);
        site.points.set(p.name, { id: p.id, device: typeof a.device === 'string' ? a.device : '', objectType: p.object_type, units: p.units ?? '', lastTs: 0 });
      }
      this.sites.set(siteKey(c.host_config_id, c.group_id, c.edge_node_id), site);
      this.setStatus(site, 'connecting', null);
    }
    this.graceTimer = setTimeout(() => {
      for (const site of this.sites.values()) if (!this.born.has(site) && site.status === 'connecting') this.offline(site, null);
    }, STARTUP_GRACE_MS);
    this.graceTimer.unref();
  }

  stop(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
  }

  /** a host configuration changed: its remote_points setting is read again */
  hostChanged(hostId: number): void {
    this.enabled.delete(hostId);
  }

  private enabledFor(hostId: number): boolean {
    let on = this.enabled.get(hostId);
    if (on === undefined) {
      const row = this.ctx.store.db.prepare('SELECT remote_points FROM central_hosts WHERE id = ?').get(hostId) as { remote_points: number | null } | undefined;
      on = row !== undefined && row.remote_points !== 0;
      this.enabled.set(hostId, on);
    }
    return on;
  }

  /** The host observer: one message, after the host's session took it. */
  readonly take = (hostId: number, t: SparkplugTopic, p: Payload, s: NodeSession): void => {
    if (!this.enabledFor(hostId)) return;
    const key = siteKey(hostId, t.group, t.node);
    let site = this.sites.get(key);
    if (t.type === 'NBIRTH' || t.type === 'DBIRTH') {
      if (!s.health.online) return;
      site ??= this.createSite(key, hostId, t.group, t.node);
      this.born.add(site);
      this.define(site, t.device, p.metrics, s);
      this.setStatus(site, 'online', Date.now());
      this.values(site, t.device, p.metrics, s);
      return;
    }
    if (!site) return;
    if (t.type === 'NDEATH') {
      if (!s.health.online) this.offline(site, null);
      return;
    }
    if (t.type === 'DDEATH') {
      if (!s.devices.get(t.device)?.online) this.commFail(site, t.device);
      return;
    }
    if ((t.type === 'NDATA' || t.type === 'DDATA') && s.health.online) {
      this.values(site, t.device, p.metrics, s);
      this.setStatus(site, 'online', Date.now());
    }
  };

  /**
   * The host lost its broker: it cannot know any of its edges' state (Sparkplug 3.0), so each of its sites' data
   * sources turns offline (the OFFLINE alarm follows) and its points stale, keeping their last value (docs/central.md:
   * stale, not comm_fail: the edge may be running; only nothing current reaches us). The next birth brings them back.
   */
  readonly brokerLost = (hostId: number): void => {
    if (!this.enabledFor(hostId)) return;
    const prefix = `${hostId}\0`;
    for (const [key, site] of this.sites) {
      if (!key.startsWith(prefix)) continue;
      this.setStatus(site, 'offline', null);
      this.mark(site, null, 'stale');
    }
  };

  /** the data source of a site seen for the first time, under its host's gateway */
  private createSite(key: string, hostId: number, group: string, node: string): Site {
    const { registry, store } = this.ctx;
    const host = (store.db.prepare('SELECT name FROM central_hosts WHERE id = ?').get(hostId) as { name: string } | undefined)?.name ?? `host ${hostId}`;
    const taken = (name: string) => store.db.prepare('SELECT 1 FROM data_sources WHERE name = ?').get(name) !== undefined;
    let name = `${group}/${node}`;
    if (taken(name)) name = `${group}/${node} (${host})`;
    for (let i = 2; taken(name); i++) name = `${group}/${node} (${host} ${i})`;
    const changes: Change[] = [];
    const id = store.tx(() => {
      const gatewayName = `Sparkplug host ${host}`;
      // the gateway of this host's other sites (read in JS: the store may be PostgreSQL, which has no json_extract)
      const others = store.db.prepare("SELECT gateway_id, connection FROM data_sources WHERE protocol = 'sparkplug'").all() as { gateway_id: number; connection: string }[];
      let gateway = others.find((o) => parseJson(o.connection).host_config_id === hostId)?.gateway_id;
      gateway ??= (store.db.prepare('SELECT id FROM gateways WHERE name = ?').get(gatewayName) as { id: number } | undefined)?.id;
      if (gateway === undefined) {
        gateway = registry.create(this.sys, registry.get('gateways'), { name: gatewayName, description: `the edge sites seen by the Sparkplug host ${host}` });
        changes.push({ entity: 'gateways', op: 'create', id: gateway });
      }
      const ds = registry.create(this.sys, registry.get('datasources'), {
        name,
        gateway_id: gateway,
        protocol: PROTOCOL,
        connection: JSON.stringify({ host_config_id: hostId, group_id: group, edge_node_id: node }),
        description: `edge node ${node} of Sparkplug group ${group}, seen by the host ${host}`,
      });
      changes.push({ entity: 'datasources', op: 'create', id: ds });
      this.ctx.audit.record({ userId: null, userName: this.sys.userName, action: 'config.create', target: `datasources:${ds}`, newValue: { name, protocol: PROTOCOL, group_id: group, edge_node_id: node }, result: 'ok' });
      return ds;
    });
    this.ctx.registry.emitAll(changes);
    const site: Site = { dataSourceId: id, name, points: new Map(), status: 'offline', seenWritten: 0 };
    this.sites.set(key, site);
    return site;
  }

  /** a birth's metrics: points created, or updated when the edge changed their type or unit */
  private define(site: Site, device: string, metrics: readonly Metric[], s: NodeSession): void {
    const { registry, store } = this.ctx;
    const def = registry.get('points');
    const changes: Change[] = [];
    const created: string[] = [];
    const updated: string[] = [];
    store.tx(() => {
      for (const m of metrics) {
        if (!m.name) continue;
        const metricId = s.names.get(metricKey(device, m.name));
        if (metricId !== undefined) this.metricNames.set(metricId, m.name);
        const type = objectTypeOf(m.datatype);
        if (!type || NOT_POINTS.test(m.name) || metricId === undefined) continue;
        const name = pointName(device, m.name);
        const units = m.unit ?? '';
        let p = site.points.get(name);
        try {
          if (!p) {
            const id = registry.create(this.sys, def, { name, data_source_id: site.dataSourceId, object_type: type, units, is_trend: true, address: JSON.stringify({ device, metric: m.name }) });
            p = { id, device, objectType: type, units, lastTs: 0 };
            site.points.set(name, p);
            changes.push({ entity: 'points', op: 'create', id });
            created.push(name);
          } else if (p.objectType !== type || p.units !== units) {
            registry.update(this.sys, def, p.id, { object_type: type, units });
            Object.assign(p, { objectType: type, units });
            changes.push({ entity: 'points', op: 'update', id: p.id });
            updated.push(name);
          }
        } catch (e) {
          this.ctx.log(`central: metric ${name} of ${site.name} is not a point: ${(e as Error).message}`);
          continue;
        }
        this.byMetric.set(metricId, p);
      }
      if (created.length || updated.length) {
        this.ctx.audit.record({ userId: null, userName: this.sys.userName, action: 'config.update', target: `datasources:${site.dataSourceId}`, newValue: { points_created: created, points_updated: updated }, result: 'ok' });
      }
    });
    registry.emitAll(changes);
  }

  /** values of a birth or data message: live ones on the value bus, historical or late ones to the historian only */
  private values(site: Site, device: string, metrics: readonly Metric[], s: NodeSession): void {
    const live: PointValue[] = [];
    const late: PointValue[] = [];
    for (const m of metrics) {
      const metricId = m.name ? s.names.get(metricKey(device, m.name)) : m.alias !== null ? s.aliases.get(m.alias) : undefined;
      if (metricId === undefined) continue;
      const name = m.name ?? this.metricNames.get(metricId);
      if (name === ALARM_EVENT_METRIC && !device) {
        if (m.text) this.alarms.take(site.dataSourceId, site.name, m.text, m.ts);
        continue;
      }
      const p = this.byMetric.get(metricId);
      if (!p) continue;
      const value = m.isNull ? null : (m.num ?? m.text);
      let quality: Quality = m.quality ?? 'good';
      if (value === null && quality === 'good') quality = 'bad';
      const v: PointValue = { point_id: p.id, value, quality, ts: m.ts };
      if (m.historical || m.ts < p.lastTs) late.push(v);
      else {
        p.lastTs = m.ts;
        live.push(v);
      }
    }
    if (late.length) {
      const historian = this.ctx.services.get('historian') as Historian | undefined;
      if (historian) {
        historian.flush();
        historian.storage.write(late, []);
        // as after a history import: the energy of the hours they cover is recomputed (meters on remote points)
        const energy = this.ctx.services.get('energyPipeline') as { imported(pointId: number, first: number, last: number): void } | undefined;
        const spans = new Map<number, [number, number]>();
        for (const v of late) {
          const s = spans.get(v.point_id);
          spans.set(v.point_id, s ? [Math.min(s[0], v.ts), Math.max(s[1], v.ts)] : [v.ts, v.ts]);
        }
        for (const [id, [first, last]] of spans) energy?.imported(id, first, last);
      }
    }
    this.ctx.values.publish(ValueBatch.of(live));
  }

  private offline(site: Site, device: string | null): void {
    this.setStatus(site, 'offline', null);
    this.commFail(site, device);
  }

  /** a lost edge node (device null or '') or device: its points comm_fail at once, keeping their last value */
  private commFail(site: Site, device: string | null): void {
    this.mark(site, device, 'comm_fail');
  }

  /** the points of a site (or of one device) get `quality` now, keeping their last value; a point already not good keeps its quality when `quality` is stale */
  private mark(site: Site, device: string | null, quality: 'comm_fail' | 'stale'): void {
    const now = Date.now();
    const batch: PointValue[] = [];
    const historian = this.ctx.services.get('historian') as Historian | undefined;
    for (const p of site.points.values()) {
      if (device && p.device !== device) continue;
      const last = this.ctx.values.latest(p.id) ?? historian?.storage.latest(p.id);
      if (last && this.ctx.values.latest(p.id) && (last.quality === quality || (quality === 'stale' && last.quality === 'comm_fail'))) continue;
      batch.push({ point_id: p.id, value: last?.value ?? null, quality, ts: now });
      p.lastTs = Math.max(p.lastTs, now);
    }
    this.ctx.values.publish(ValueBatch.of(batch));
  }

  private setStatus(site: Site, status: string, seen: number | null): void {
    const now = Date.now();
    if (site.status === status && (seen === null || now - site.seenWritten < SEEN_WRITE_MS)) return;
    site.status = status;
    if (seen !== null) site.seenWritten = now;
    const iso = seen === null ? null : new Date(seen).toISOString().slice(0, 19);
    try {
      this.ctx.store.db.prepare('UPDATE data_sources SET status = ?, last_seen_datetime = COALESCE(?, last_seen_datetime) WHERE id = ?').run(status, iso, site.dataSourceId);
      if (iso) this.ctx.store.db.prepare('UPDATE gateways SET last_seen_datetime = ? WHERE id = (SELECT gateway_id FROM data_sources WHERE id = ?)').run(iso, site.dataSourceId);
    } catch (e) {
      this.ctx.log(`central: cannot record the status of ${site.name}: ${(e as Error).message}`);
    }
  }
}

function parseJson(text: string | null): Record<string, unknown> {
  try {
    const v = JSON.parse(String(text)) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
