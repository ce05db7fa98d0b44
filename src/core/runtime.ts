import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fastifyWebsocket from '@fastify/websocket';
import { AuditLog, auditMigrations } from './audit/audit';
import { registerAuditRoutes } from './audit/routes';
import { AUDIT_RETENTION_KEY, AuditRetention } from './audit/retention';
import { registerRetentionSetting } from './api/retention-setting';
import { AuthService, authMigrations, type Principal } from './auth/service';
import { Access } from './auth/access';
import { redactText } from './audit/redact';
import { registerAuthRoutes } from './auth/routes';
import { createApiServer, principalOf } from './api/server';
import { registerRenderer } from './api/static';
import { Registry } from './model/registry';
import { registerModelRoutes } from './model/routes';
import { entities } from './model/entities';
import { openStore, STORE_FILE, storeDatabase, type StoreOptions } from './store/store';
import { startCheckpointer, type Checkpointer } from './store/checkpointer';
import { limitHeapGrowth } from './heap';
import { yieldBackgroundThreads } from './threads';
import { assertPortAvailable } from './api/port';
import { coreMigrations, Settings } from './store/settings';
import { seedDefaults } from './demo/defaults';
import { seedDemoPlant } from './demo/plant';
import { myemsDefaultsMigrations } from './demo/myems';
import { myemsVersion, VERSION } from './version';
import { ValueBus } from './values/bus';
import type { RuntimeContext, RuntimeStatus, Service } from './feature';
import { features } from './features';
import { statusFields } from './status';
import { DEVICE_PROTOCOLS } from '../shared/protocols';

export { statusFields } from './status';

export type { RuntimeContext, RuntimeStatus, Service } from './feature';

export interface RuntimeOptions {
  dataDir: string;
  /** default 127.0.0.1 */
  host?: string;
  /** 0 = ephemeral */
  port?: number;
  /** demo: the demo plant on a fresh store (and its simulated devices); empty: defaults only; auto: demo when fresh */
  seed?: 'demo' | 'empty' | 'auto';
  /** the built renderer served at / */
  rendererDir?: string;
  log?: (line: string) => void;
  /** host names accepted in Host besides localhost, IP literals and `host` (see api/origin.ts) */
  allowedHosts?: string[];
  /** serve HTTPS (PEM certificate and key); cli.ts requires it, or --insecure, beyond loopback */
  tls?: { cert: Buffer; key: Buffer };
  /** other web origins allowed to call the API from a browser (CORS); none by default */
  allowedOrigins?: string[];
  /** the administrator's password on a fresh store (else SWITCHYARD_ADMIN_PASSWORD, else generated) */
  adminPassword?: string;
  /** the central store on PostgreSQL (`--database postgres://...`); absent: SQLite */
  database?: { url: string; partition?: 'day' | 'week' };
}

export interface Runtime {
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
  /** with a user: the alarms counted are those it may see (a privilege-limited user's own) */
  status(principal?: Principal): RuntimeStatus;
  readonly context: RuntimeContext | null;
}

export const ADMIN_PASSWORD_FILE = 'administrator-password.txt';

export function defaultDataDir(): string {
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Switchyard');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Switchyard');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'switchyard');
}

/**
 * Where the store lives: PostgreSQL with `--database` (or SWITCHYARD_DATABASE), else SQLite in the data directory.
 * On PostgreSQL the central store's tables are migrated by the central feature itself (`central/pg.ts`).
 */
function storeOptions(database?: { url: string }): StoreOptions {
  const url = storeDatabase(database?.url);
  return url ? { database: url, selfMigrating: ['central'] } : {};
}

function storeMigrations() {
  return [coreMigrations, auditMigrations, authMigrations, myemsDefaultsMigrations, ...features.flatMap((f) => f.migrations ?? [])];
}

function buildRegistry(): Registry {
  return new Registry().register(...entities, ...features.flatMap((f) => f.entities ?? []));
}

/**
 * `migrate`: brings an existing store up to this build's schema and nothing more: no seeding, no users, no
 * services (the demo's devices stay off). A missing data directory or store is an error, not a new install.
 */
export function migrateStore(dataDir: string, database?: { url: string }): void {
  if (!fs.existsSync(dataDir) || !fs.statSync(dataDir).isDirectory()) throw new Error(`data directory ${dataDir} does not exist`);
  const options = storeOptions(database);
  if (!options.database && !fs.existsSync(path.join(dataDir, STORE_FILE))) throw new Error(`no store (${STORE_FILE}) in ${dataDir}: nothing to migrate (serve creates a new one)`);
  const store = openStore(dataDir, storeMigrations(), options);
  try {
    const registry = buildRegistry();
    store.tx(() => registry.syncTables(store.db));
  } finally {
    store.close();
  }
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  const sink = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  // no secret reaches the log either (a password in a failing request's URL or error text)
  const log = (line: string) => sink(redactText(line));
  let ctx: RuntimeContext | null = null;
  let services: Service[] = [];
  let started: Service[] = [];
  /** the services started after listen (Service.afterListen), still starting or done */
  let deferred: Promise<void> | null = null;
  let stopping = false;
  /** WAL checkpoints in a worker thread, off the event loop (store/checkpointer.ts) */
  let checkpointer: Checkpointer | null = null;

  const runtime: Runtime = {
    get context() {
      return ctx;
    },

    async start() {
      const host = opts.host ?? '127.0.0.1';
      const port = opts.port ?? 8787;
      // a busy port fails before a fresh store is seeded and its generated password shown
      if (port !== 0) await assertPortAvailable(host, port);
      limitHeapGrowth();
      // before the store opens: the PostgreSQL bridge made then keeps the main thread's priority
      yieldBackgroundThreads();
      const options = storeOptions(opts.database);
      const store = openStore(opts.dataDir, storeMigrations(), options);
      const database = opts.database ?? (options.database ? { url: options.database } : undefined);
      // SQLite only: PostgreSQL checkpoints by itself
      checkpointer = options.database ? null : startCheckpointer(store, log);
      let shownOnce: string | null = null;
      try {
        const registry = buildRegistry();
        store.tx(() => registry.syncTables(store.db));
        const settings = new Settings(store);
        const audit = new AuditLog(store);
        const auth = new AuthService(store, audit);

        const fresh = settings.get('initialized') === null;
        const seed: 'demo' | 'empty' =
          opts.seed === 'demo' || (opts.seed === 'auto' && (fresh || settings.get('seed') === 'demo')) ? 'demo' : fresh ? 'empty' : ((settings.get('seed') as 'demo' | 'empty' | null) ?? 'empty');
        if (fresh) {
          const admin = await auth.ensureAdministrator(opts.adminPassword || process.env.SWITCHYARD_ADMIN_PASSWORD || undefined);
          store.tx(() => {
            seedDefaults(store, registry);
            if (seed === 'demo') seedDemoPlant(store, registry);
            settings.set('seed', seed);
            settings.set('initialized', new Date().toISOString());
          });
          if (admin.generated && admin.password) {
            const file = path.join(opts.dataDir, ADMIN_PASSWORD_FILE);
            fs.writeFileSync(file, `${admin.password}\n`, { mode: 0o600 });
            shownOnce = `administrator password (shown once, also in ${file}): ${admin.password}`;
          }
        }

        const access = new Access(store, registry);
        const app = createApiServer({ auth, access, log, origin: { listenHost: opts.host ?? '127.0.0.1', allowedHosts: opts.allowedHosts, allowedOrigins: opts.allowedOrigins }, https: opts.tls });
        await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } });
        ctx = { store, registry, audit, auth, access, settings, app, dataDir: opts.dataDir, log, seed, values: new ValueBus(), services: new Map(), status: (principal) => runtime.status(principal), database };

        if (checkpointer) ctx.services.set('checkpointer', checkpointer);
        app.get('/api/health', { config: { auth: 'public' } }, async () => ({ status: 'ok', version: VERSION }));
        app.get('/api/version', async (req) => myemsVersion(`${req.protocol}://${req.headers.host ?? req.hostname}`));
        app.get('/api/status', async (req) => ({ version: VERSION, server_time: new Date().toISOString(), ...statusFields(runtime.status(principalOf(req))) }));
        registerAuthRoutes(app, auth, audit);
        registerAuditRoutes(app, audit);
        const auditRetention = new AuditRetention(store, settings, log);
        registerRetentionSetting(app, { store, settings, audit }, { name: 'audit', key: AUDIT_RETENTION_KEY, days: () => auditRetention.days(), read: 'admin', purge: () => auditRetention.purge() });
        registerModelRoutes(app, { store, registry, audit, access });

        services = [auditRetention, ...features.flatMap((f) => f.compose?.(ctx!) ?? [])];
        if (opts.rendererDir && fs.existsSync(path.join(opts.rendererDir, 'index.html'))) {
          registerRenderer(app, opts.rendererDir);
        }
        for (const s of services.filter((x) => !x.afterListen)) {
          await s.start();
          started.push(s);
        }
        stopping = false;
        const address = await app.listen({ host, port });
        const later = services.filter((x) => x.afterListen);
        if (later.length) {
          deferred = (async () => {
            for (const s of later) {
              if (stopping) return;
              try {
                await s.start();
                started.push(s);
              } catch (e) {
                // the server already answers: a service that cannot start is logged, the next ones still start
                log(`starting ${s.name}: ${(e as Error).message}`);
              }
            }
          })();
        }
        if (shownOnce) log(shownOnce);
        const url = address.replace('[::1]', 'localhost');
        return { url };
      } catch (err) {
        // stop() also ends the checkpoint worker
        await runtime.stop().catch(() => undefined);
        store.close();
        throw err;
      }
    },

    async stop() {
      const current = ctx;
      // stop accepting requests first (in-flight ones finish), then the services in reverse order, then the store
      if (current) await current.app.close().catch((e: Error) => log(`http close: ${e.message}`));
      // services still starting after listen: no further one starts, the one starting finishes first
      stopping = true;
      await deferred;
      deferred = null;
      // reverse declared order, whether a service started before or after listen
      const order = services.filter((s) => started.includes(s)).reverse();
      for (const s of order) {
        try {
          await s.stop();
        } catch (e) {
          log(`stopping ${s.name}: ${(e as Error).message}`);
        }
      }
      started = [];
      // the worker's last checkpoint and its connection closed first: the main connection, closing last, then
      // checkpoints what is left and removes the WAL
      await checkpointer?.stop();
      checkpointer = null;
      current?.store.close();
      ctx = null;
    },

    status(principal) {
      if (!ctx) return { dataSourcesOnline: 0, dataSourcesOffline: 0, unacknowledgedAlarms: 0, highestAlarmPriority: null };
      // only data sources that talk to a device can be offline (simulation, virtual and manual ones cannot)
      const devices = DEVICE_PROTOCOLS.map(() => '?').join(', ');
      const ds = ctx.store.db
        .prepare(`SELECT SUM(status = 'online') AS online, SUM(status = 'offline' OR status IS NULL) AS offline FROM data_sources WHERE protocol IN (${devices})`)
        .get(...DEVICE_PROTOCOLS) as {
        online: number | null;
        offline: number | null;
      };
      const base: RuntimeStatus = { dataSourcesOnline: ds.online ?? 0, dataSourcesOffline: ds.offline ?? 0, unacknowledgedAlarms: 0, highestAlarmPriority: null };
      for (const f of features) Object.assign(base, f.status?.(ctx, principal));
      return base;
    },
  };
  return runtime;
}
