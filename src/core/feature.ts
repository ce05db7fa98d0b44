import type { FastifyInstance } from 'fastify';
import type { AuditLog } from './audit/audit';
import type { AuthService, Principal } from './auth/service';
import type { Access } from './auth/access';
import type { Registry } from './model/registry';
import type { EntityDef } from './model/types';
import type { Settings } from './store/settings';
import type { FeatureMigrations, Store } from './store/store';
import type { ValueBus } from './values/bus';

export interface RuntimeStatus {
  dataSourcesOnline: number;
  dataSourcesOffline: number;
  unacknowledgedAlarms: number;
  /** CRITICAL | HIGH | MEDIUM | LOW of the most severe active unacknowledged alarm, null when none */
  highestAlarmPriority: string | null;
}

/** A part of the runtime with a lifecycle; started in order, stopped in reverse order. */
export interface Service {
  name: string;
  /**
   * Started once the server listens, in the background and in declared order (the demo's simulated devices and
   * the acquisition against them): health answers meanwhile. Stopped in reverse declared order like the others.
   */
  afterListen?: boolean;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** What every feature gets when it is composed into the runtime. */
export interface RuntimeContext {
  store: Store;
  registry: Registry;
  audit: AuditLog;
  auth: AuthService;
  /** object-level permission (privileges): canSee / filter, as the API's own check uses it */
  access: Access;
  settings: Settings;
  app: FastifyInstance;
  dataDir: string;
  log: (line: string) => void;
  seed: 'demo' | 'empty';
  /** live point values: acquisition publishes, historian/alarms/live stream subscribe */
  values: ValueBus;
  /** services other features look up by name (e.g. 'acquisition', 'control'), set during compose */
  services: Map<string, unknown>;
  /** the runtime's status now (status bar, tray, live stream); with a user, the alarms counted are those it may see */
  status: (principal?: Principal) => RuntimeStatus;
  /** `--database`: the central store on PostgreSQL (see central/); absent: SQLite, like everything else */
  database?: { url: string; partition?: 'day' | 'week' };
}

/** A feature's contribution to the runtime: its tables, its routes and services, its part of the status. */
export interface Feature {
  name: string;
  migrations?: FeatureMigrations[];
  /** configuration entities the feature adds to the registry (tables, routes and screens come with them) */
  entities?: EntityDef[];
  /** registers routes on ctx.app and returns the services to start (in order) */
  compose?: (ctx: RuntimeContext) => Service[] | void;
  status?: (ctx: RuntimeContext, principal?: Principal) => Partial<RuntimeStatus>;
}
