import type { Feature, RuntimeContext, Service } from '../feature';
import { registerCommissioningRoutes } from '../commissioning/routes';
import type { Store } from '../store/store';
import { DEVICE_PROTOCOLS } from '../../shared/protocols';
import { createAcquisitionService, type AcquisitionService, type DataSourceConfig, type PointConfig } from './contracts';

/** How often a data source's last_seen_datetime is written while its status stays the same. */
const LAST_SEEN_WRITE_MS = 5_000;
/** points read from the store at a time when a change touched many (an import) */
const LOAD_SLICE = 500;

interface DataSourceRow {
  id: number;
  name: string;
  gateway_id: number | null;
  protocol: string;
  connection: string;
}

interface PointRow {
  id: number;
  name: string;
  data_source_id: number;
  object_type: PointConfig['object_type'];
  units: string | null;
  high_limit: number | null;
  low_limit: number | null;
  ratio: number | null;
  offset_constant: number | null;
  is_trend: number;
  is_virtual: number;
  address: string;
}

const parseObject = (text: string): Record<string, unknown> => {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
};

const toSource = (r: DataSourceRow): DataSourceConfig => ({ id: r.id, name: r.name, gateway_id: r.gateway_id, protocol: r.protocol, connection: parseObject(r.connection) });
const toPoint = (r: PointRow): PointConfig => ({
  id: r.id,
  name: r.name,
  data_source_id: r.data_source_id,
  object_type: r.object_type,
  units: r.units,
  high_limit: r.high_limit,
  low_limit: r.low_limit,
  ratio: r.ratio ?? 1,
  offset_constant: r.offset_constant ?? 0,
  is_trend: r.is_trend === 1,
  is_virtual: r.is_virtual === 1,
  address: parseObject(r.address),
});

/** The configuration acquisition runs from, read from the store. */
export function loadAcquisitionConfig(store: Store): { dataSources: DataSourceConfig[]; points: PointConfig[] } {
  const dataSources = (store.db.prepare('SELECT id, name, gateway_id, protocol, connection FROM data_sources').all() as DataSourceRow[]).map(toSource);
  const points = (store.db.prepare('SELECT * FROM points').all() as PointRow[]).map(toPoint);
  return { dataSources, points };
}

/** The data sources and points with these ids as they are now (null: no longer there). */
export function loadChanged(store: Store, dataSourceIds: Iterable<number>, pointIds: Iterable<number>): { dataSources: Map<number, DataSourceConfig | null>; points: Map<number, PointConfig | null> } {
  const read = <R extends { id: number }, T>(sql: string, ids: number[], map: (r: R) => T): Map<number, T | null> => {
    const out = new Map<number, T | null>(ids.map((id) => [id, null]));
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      for (const r of store.db.prepare(`${sql} WHERE id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as R[]) out.set(r.id, map(r));
    }
    return out;
  };
  return {
    dataSources: read('SELECT id, name, gateway_id, protocol, connection FROM data_sources', [...dataSourceIds], toSource),
    points: read('SELECT * FROM points', [...pointIds], toPoint),
  };
}

/**
 * Field acquisition in the runtime: the engine (drivers, planner, poller) fed from the store and kept in step
 * with configuration changes, its values on the value bus, data source and gateway status in the store, and the
 * commissioning routes that reach devices through it (writes go through control's arbiter, control/feature.ts).
 */
export const acquisitionFeature: Feature = {
  name: 'acquisition',
  compose(ctx: RuntimeContext): Service[] {
    const { store, registry, values, log } = ctx;
    const lastWritten = new Map<number, { status: string; at: number }>();
    const updateStatus = store.db.prepare('UPDATE data_sources SET status = ?, last_seen_datetime = COALESCE(?, last_seen_datetime) WHERE id = ?');
    const updateGateway = store.db.prepare('UPDATE gateways SET last_seen_datetime = ? WHERE id = (SELECT gateway_id FROM data_sources WHERE id = ?)');

    let service: AcquisitionService | undefined;
    const engine = createAcquisitionService(
      {
        values: (batch) => values.publish(batch),
        dataSourceStatus: (id, status, lastSeen) => {
          const prev = lastWritten.get(id);
          const now = Date.now();
          if (prev && prev.status === status && now - prev.at < LAST_SEEN_WRITE_MS) return;
          lastWritten.set(id, { status, at: now });
          const seen = lastSeen === null ? null : new Date(lastSeen).toISOString().slice(0, 19);
          try {
            updateStatus.run(status, seen, id);
            if (seen) updateGateway.run(seen, id);
          } catch (e) {
            log(`acquisition: cannot record the status of data source ${id}: ${(e as Error).message}`);
          }
        },
      },
      (line) => log(`acquisition: ${line}`),
    );
    // a write, a read-now or a publish first applies the configuration changes still waiting for their round (below),
    // so a point created a moment ago can be commanded at once
    const settled: AcquisitionService = {
      configure: (d, p) => engine.configure(d, p),
      update: (d, p) => engine.update(d, p),
      start: () => engine.start(),
      stop: () => engine.stop(),
      readNow: async (id) => (await settle(), engine.readNow(id)),
      write: async (id, v, o) => (await settle(), engine.write(id, v, o)),
      publish: async (ds, topic, payload) => (await settle(), engine.publish(ds, topic, payload)),
      diagnostics: (id) => engine.diagnostics(id),
      latest: (id) => engine.latest(id),
    };
    const acquisition = () => service;
    ctx.services.set('acquisition', settled);
    registerCommissioningRoutes(ctx.app, { store, registry, audit: ctx.audit, acquisition });

    // configuration changes take effect without a restart, each re-planning only its own data source; a burst of
    // changes (single creates from a script, an import) is applied once
    let pending: NodeJS.Timeout | null = null;
    const dirtySources = new Set<number>();
    const dirtyPoints = new Set<number>();
    const apply = async () => {
      const sources = [...dirtySources];
      const points = [...dirtyPoints];
      dirtySources.clear();
      dirtyPoints.clear();
      // thousands of points (an import) are read in slices; what changes meanwhile is applied by the next round
      const changed = loadChanged(store, sources, points.slice(0, LOAD_SLICE));
      for (let i = LOAD_SLICE; i < points.length && service; i += LOAD_SLICE) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        for (const [id, p] of loadChanged(store, [], points.slice(i, i + LOAD_SLICE)).points) changed.points.set(id, p);
      }
      pending = null;
      if (!service) return;
      service.update(changed.dataSources, changed.points);
      if (dirtyPoints.size || dirtySources.size) schedule();
    };
    let applying: Promise<void> | null = null;
    const run = (): Promise<void> =>
      (applying = apply()
        .catch((e: Error) => {
          pending = null;
          log(`acquisition: applying a configuration change: ${e.message}`);
        })
        .finally(() => {
          applying = null;
        }));
    const schedule = () => {
      if (!pending && service) pending = setTimeout(() => void run(), 100);
    };
    const settle = async () => {
      if (applying) await applying;
      if (pending && !applying) {
        clearTimeout(pending);
        pending = null;
        await run();
      }
    };
    const unsubscribe = registry.onChanges((changes) => {
      for (const { entity, op, id } of changes) {
        if (entity === 'points') {
          if (op === 'delete') values.forget(id);
          dirtyPoints.add(id);
        } else if (entity === 'datasources') {
          if (op === 'delete') lastWritten.delete(id);
          dirtySources.add(id);
        }
      }
      if (dirtyPoints.size || dirtySources.size) schedule();
    });

    // every device data source is 'connecting' from the start of the process until its first scan (neither online
    // nor offline, no OFFLINE alarm), not what the last run left (offline) or nothing (a fresh store): set here, before
    // any service starts (alarms reads it), since with the demo acquisition starts only after listen, once the demo's
    // devices run (demo/feature.ts)
    store.db.prepare(`UPDATE data_sources SET status = 'connecting' WHERE protocol IN (${DEVICE_PROTOCOLS.map(() => '?').join(', ')})`).run(...DEVICE_PROTOCOLS);
    const afterListen = ctx.seed === 'demo';
    return [
      {
        name: 'acquisition',
        afterListen,
        async start() {
          const cfg = loadAcquisitionConfig(store);
          dirtySources.clear();
          dirtyPoints.clear();
          engine.configure(cfg.dataSources, cfg.points);
          await engine.start();
          service = settled;
        },
        async stop() {
          unsubscribe();
          if (pending) clearTimeout(pending);
          service = undefined;
          await engine.stop();
          store.db.prepare("UPDATE data_sources SET status = 'offline'").run();
        },
      },
    ];
  },
};
