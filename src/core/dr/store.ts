/** Demand response tables: programs, participants, partners, resources, events, reports, subscriptions, deliveries. */
import type { FeatureMigrations } from '../store/store';

export const drMigrations: FeatureMigrations = {
  feature: 'dr',
  migrations: [
    {
      version: 1,
      name: 'demand response',
      up: (db) =>
        db.exec(`
          CREATE TABLE dr_programs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
            description TEXT, created_at TEXT NOT NULL, modified_at TEXT NOT NULL);
          CREATE TABLE dr_participants (
            id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL UNIQUE, contact_user TEXT NOT NULL,
            phone_contact TEXT NOT NULL, space_ids TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);
          CREATE TABLE dr_partners (
            id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
            key_hash TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
          CREATE TABLE dr_partner_tokens (
            token_hash TEXT PRIMARY KEY, partner_id INTEGER NOT NULL REFERENCES dr_partners(id) ON DELETE CASCADE,
            expires_at TEXT NOT NULL);
          CREATE TABLE dr_resources (
            id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
            partner_id INTEGER REFERENCES dr_partners(id) ON DELETE CASCADE,
            user_id TEXT, resource_id TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}',
            point_id INTEGER REFERENCES points(id) ON DELETE SET NULL,
            measure_point_id INTEGER REFERENCES points(id) ON DELETE SET NULL,
            participant_id INTEGER REFERENCES dr_participants(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL, modified_at TEXT NOT NULL,
            UNIQUE (partner_id, resource_id));
          CREATE TABLE dr_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
            program_id INTEGER REFERENCES dr_programs(id) ON DELETE SET NULL, priority INTEGER NOT NULL DEFAULT 0,
            target_resources TEXT NOT NULL DEFAULT '[]', interval_period TEXT NOT NULL, intervals TEXT NOT NULL DEFAULT '[]',
            payload TEXT NOT NULL DEFAULT '{}', mandatory INTEGER NOT NULL DEFAULT 1, status TEXT NOT NULL,
            opt_outs TEXT NOT NULL DEFAULT '[]', dispatch TEXT NOT NULL DEFAULT '{}',
            ecobee_ref TEXT, ecobee_status TEXT,
            created_at TEXT NOT NULL, modified_at TEXT NOT NULL);
          CREATE TABLE dr_reports (
            id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
            partner_id INTEGER REFERENCES dr_partners(id) ON DELETE CASCADE,
            event_id INTEGER REFERENCES dr_events(id) ON DELETE SET NULL, name TEXT, payloads TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL, modified_at TEXT NOT NULL);
          CREATE TABLE dr_subscriptions (
            id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
            partner_id INTEGER NOT NULL REFERENCES dr_partners(id) ON DELETE CASCADE,
            webhook_url TEXT NOT NULL, webhook_secret TEXT NOT NULL,
            event_payload_types TEXT NOT NULL DEFAULT '[]', operation_types TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL);
          CREATE TABLE dr_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            subscription_id INTEGER NOT NULL REFERENCES dr_subscriptions(id) ON DELETE CASCADE,
            event_uuid TEXT NOT NULL, operation TEXT NOT NULL, body TEXT NOT NULL,
            status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
            last_status_code INTEGER, last_error TEXT, created_at TEXT NOT NULL, delivered_at TEXT);
          CREATE INDEX ix_dr_deliveries_due ON dr_deliveries(status, next_attempt_at);`),
    },
    {
      version: 2,
      name: 'OpenADR 3: VEN registration, program enrolment, OpenADR subscriptions and reports',
      up: (db) =>
        db.exec(`
          ALTER TABLE dr_partners ADD COLUMN role TEXT NOT NULL DEFAULT 'ven';
          ALTER TABLE dr_partners ADD COLUMN ven_name TEXT;
          ALTER TABLE dr_partners ADD COLUMN ven_registered_at TEXT;
          CREATE TABLE dr_program_partners (
            program_id INTEGER NOT NULL REFERENCES dr_programs(id) ON DELETE CASCADE,
            partner_id INTEGER NOT NULL REFERENCES dr_partners(id) ON DELETE CASCADE,
            PRIMARY KEY (program_id, partner_id));
          ALTER TABLE dr_subscriptions ADD COLUMN openadr TEXT;
          ALTER TABLE dr_deliveries ADD COLUMN url TEXT;
          ALTER TABLE dr_deliveries ADD COLUMN bearer TEXT;
          ALTER TABLE dr_reports ADD COLUMN openadr TEXT;
          CREATE INDEX ix_dr_partner_tokens_expiry ON dr_partner_tokens(expires_at);`),
    },
    {
      version: 3,
      name: 'every ecobee reference an event was sent under',
      up: (db) => db.exec("ALTER TABLE dr_events ADD COLUMN ecobee_refs TEXT NOT NULL DEFAULT '[]'"),
    },
    {
      version: 4,
      name: 'OpenADR 3 writes: a program\'s OpenADR members, a VEN\'s attributes',
      up: (db) =>
        db.exec(`
          ALTER TABLE dr_programs ADD COLUMN openadr TEXT;
          ALTER TABLE dr_partners ADD COLUMN ven_attributes TEXT;`),
    },
    {
      version: 5,
      name: 'ecobee\'s answer to every send and cancel, per reference',
      up: (db) => db.exec("ALTER TABLE dr_events ADD COLUMN ecobee_answers TEXT NOT NULL DEFAULT '[]'"),
    },
  ],
};
