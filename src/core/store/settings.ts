import type { FeatureMigrations, Store } from './store';

export const coreMigrations: FeatureMigrations = {
  feature: 'core',
  migrations: [{ version: 1, name: 'settings', up: (db) => db.exec('CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)') }],
};

/** Small key/value settings of the installation (seed kind, retention, site time zone...). */
export class Settings {
  constructor(private readonly store: Store) {}

  get(key: string): string | null {
    return (this.store.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  set(key: string, value: string): void {
    this.store.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}
