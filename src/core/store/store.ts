import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { PgDatabase } from './pg/db';

export type Db = Database.Database;

/** One feature's ordered schema changes. Versions start at 1 and only ever grow. */
export interface FeatureMigrations {
  feature: string;
  migrations: { version: number; name: string; up: (db: Db) => void }[];
}

export class StoreVersionError extends Error {}

/**
 * Is this store's database PostgreSQL? For the few statements that cannot be written once for both (a migration
 * that partitions a table): the feature keeps its dialect-specific variant in one place.
 */
export const isPostgres = (db: Db): boolean => (db as unknown as { dialect?: string }).dialect === 'postgres';

export interface Store {
  db: Db;
  file: string;
  /** Runs fn in one transaction (nested calls join the outer one); on throw nothing is written. */
  tx<T>(fn: () => T): T;
  close(): void;
}

export const STORE_FILE = 'switchyard.db';

export interface StoreOptions {
  /** a PostgreSQL URL: the whole store lives there (pg/db.ts); absent: SQLite in dataDir */
  database?: string;
  /**
   * features that migrate their own tables on PostgreSQL (the central store, `central/pg.ts`): their SQLite
   * migrations are not run there, and the versions they record are theirs to check
   */
  selfMigrating?: string[];
}

/** The PostgreSQL URL the store uses: the option, else SWITCHYARD_DATABASE (tests run whole suites on it). */
export function storeDatabase(option?: string): string | undefined {
  return option || process.env.SWITCHYARD_DATABASE || undefined;
}

/**
 * Opens (or creates) the SQLite store in dataDir: WAL, foreign keys on, and every feature's pending
 * migrations applied in one transaction. A store written by a newer Switchyard (a feature at a higher
 * version than this build knows, or a feature this build does not know) is refused, not touched.
 */
export function openStore(dataDir: string, features: FeatureMigrations[], opts: StoreOptions = {}): Store {
  fs.mkdirSync(dataDir, { recursive: true });
  const url = storeDatabase(opts.database);
  if (url) return openPgStore(url, features, opts.selfMigrating ?? []);
  const file = path.join(dataDir, STORE_FILE);
  // a store from a newer Switchyard is refused before anything (not even the journal mode) touches it
  if (fs.existsSync(file)) {
    const probe = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const hasTable = probe.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
      if (hasTable) checkVersions(probe, features);
    } finally {
      probe.close();
    }
  }
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, features);
  } catch (err) {
    db.close();
    throw err;
  }
  const tx = <T>(fn: () => T): T => (db.inTransaction ? fn() : db.transaction(fn)());
  return { db, file, tx, close: () => db.open && db.close() };
}

/**
 * The store on PostgreSQL: the same feature code and migrations, through the better-sqlite3-shaped PgDatabase.
 * Migrations run under an advisory lock, so that several servers starting on one database migrate it once.
 */
function openPgStore(url: string, all: FeatureMigrations[], selfMigrating: string[]): Store {
  const pg = new PgDatabase(url);
  const db = pg as unknown as Db;
  const features = all.filter((f) => !selfMigrating.includes(f.feature));
  try {
    db.prepare('SELECT pg_advisory_lock(7426001)').get();
    try {
      migrate(db, features, new Set(selfMigrating));
    } finally {
      db.prepare('SELECT pg_advisory_unlock(7426001)').get();
    }
  } catch (err) {
    pg.close();
    throw err;
  }
  const tx = <T>(fn: () => T): T => (db.inTransaction ? fn() : db.transaction(fn)());
  return { db, file: pg.name, tx, close: () => pg.open && void pg.close() };
}

/** The versions the store records per feature; throws StoreVersionError when any is newer than this build. */
function checkVersions(db: Db, features: FeatureMigrations[], ignore: Set<string> = new Set()): Map<string, number> {
  const applied = new Map<string, number>();
  for (const row of db.prepare('SELECT feature, MAX(version) AS v FROM schema_migrations GROUP BY feature').all() as { feature: string; v: number }[]) {
    applied.set(row.feature, row.v);
  }
  const known = new Map(features.map((f) => [f.feature, Math.max(0, ...f.migrations.map((m) => m.version))]));
  for (const [feature, version] of applied) {
    if (ignore.has(feature)) continue;
    const max = known.get(feature);
    if (max === undefined || version > max) {
      throw new StoreVersionError(
        `This data directory was written by a newer Switchyard (schema "${feature}" is at version ${version}, ` +
          `this build knows ${max === undefined ? 'no such schema' : `up to version ${max}`}). ` +
          'Install the newer Switchyard, or start with another --data-dir. The store was not changed.',
      );
    }
  }
  return applied;
}

export function migrate(db: Db, features: FeatureMigrations[], ignore: Set<string> = new Set()): void {
  // INT, not INTEGER: on PostgreSQL the table is shared with the central store's own migrations (central/pg.ts), which
  // made it with a 32-bit version first (INTEGER becomes BIGINT there; SQLite reads both the same)
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    feature TEXT NOT NULL, version INT NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (feature, version))`);
  const applied = checkVersions(db, features, ignore);
  const record = db.prepare('INSERT INTO schema_migrations (feature, version, name, applied_at) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (const f of features) {
      const from = applied.get(f.feature) ?? 0;
      for (const m of [...f.migrations].sort((a, b) => a.version - b.version)) {
        if (m.version <= from) continue;
        m.up(db);
        record.run(f.feature, m.version, m.name, new Date().toISOString());
      }
    }
  })();
}
