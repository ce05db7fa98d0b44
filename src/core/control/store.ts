/** Control's own table: the operators' and partners' requests, kept across restarts (leases end on time). */
import type { FeatureMigrations } from '../store/store';

export const controlMigrations: FeatureMigrations = {
  feature: 'control',
  migrations: [
    {
      version: 1,
      name: 'control requests',
      up: (db) =>
        db.exec(`
          CREATE TABLE control_requests (
            id TEXT PRIMARY KEY, point_id INTEGER NOT NULL REFERENCES points(id) ON DELETE CASCADE,
            value REAL NOT NULL, priority INTEGER NOT NULL, source TEXT NOT NULL, owner TEXT NOT NULL,
            user_id INTEGER, actor_name TEXT NOT NULL, reason TEXT NOT NULL,
            start INTEGER NOT NULL, expires INTEGER);
          CREATE INDEX ix_control_requests_point ON control_requests(point_id);`),
    },
  ],
};
