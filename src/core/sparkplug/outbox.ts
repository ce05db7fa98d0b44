/**
 * Store-and-forward storage of the Sparkplug edge: the durable outbox (what would have been published while the
 * broker or the primary host was unreachable), each node's session state (bdSeq, event cursors, values dropped
 * by the bounds) and the hourly energy already sent. SQLite, committed per publish tick: a process killed during
 * an outage loses nothing that was committed.
 */
import type { Db, FeatureMigrations, Store } from '../store/store';

export const sparkplugMigrations: FeatureMigrations = {
  feature: 'sparkplug',
  migrations: [
    {
      version: 1,
      name: 'outbox, node state and energy sent',
      up: (db: Db) =>
        db.exec(`
          CREATE TABLE sparkplug_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            node_id INTEGER NOT NULL,
            data_source_id INTEGER,
            created_at INTEGER NOT NULL,
            n INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            body TEXT NOT NULL);
          CREATE INDEX ix_sparkplug_outbox_node ON sparkplug_outbox(node_id, id);
          CREATE TABLE sparkplug_state (
            node_id INTEGER PRIMARY KEY,
            bd_seq INTEGER NOT NULL DEFAULT -1,
            dropped INTEGER NOT NULL DEFAULT 0,
            alarm_cursor INTEGER,
            audit_cursor INTEGER,
            dr_cursor TEXT);
          CREATE TABLE sparkplug_energy_sent (
            node_id INTEGER NOT NULL,
            meter_id INTEGER NOT NULL,
            hour INTEGER NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (node_id, meter_id, hour)) WITHOUT ROWID;`),
    },
    {
      version: 2,
      name: 'device rows held as encoded Sparkplug metrics, with the catalog signature they were encoded against',
      // body: a device row is a BLOB (the protobuf metrics, wire.ts encodeHeld) since this version; JSON text rows
      // (node events, and device rows held before) are still read
      up: (db: Db) => db.exec('ALTER TABLE sparkplug_outbox ADD COLUMN sig TEXT'),
    },
  ],
};

/** A point metric kept for later: [point id (alias), value, source ts, quality]. */
export type StoredPointValue = [number, number | boolean | string | null, number, string];
/** A node metric kept for later: [name, Sparkplug type, value, ts]. */
export type StoredNodeValue = [string, string, number | boolean | string | null, number];

export interface OutboxRow {
  id: number;
  /** null: node metrics (NDATA); else the data source whose device it was (DDATA) */
  data_source_id: number | null;
  created_at: number;
  n: number;
  /** JSON text of stored values, or (device rows) the encoded historical metrics */
  body: string | Buffer;
  /** for encoded rows: the signature of the device's metrics they were encoded against (catalog.ts) */
  sig: string | null;
}

export interface HeldEntry {
  dataSourceId: number | null;
  values: (StoredPointValue | StoredNodeValue)[];
  /** a device's values already encoded as historical Sparkplug metrics, and the device's signature */
  encoded?: { body: Uint8Array; sig: string };
}

export interface OutboxStats {
  rows: number;
  values: number;
  bytes: number;
  oldest: number | null;
  dropped: number;
}

export interface NodeState {
  bd_seq: number;
  dropped: number;
  alarm_cursor: number | null;
  audit_cursor: number | null;
  dr_cursor: string | null;
}

export class Outbox {
  private bytesByNode = new Map<number, number>();

  constructor(private readonly store: Store) {}

  private bytes(nodeId: number): number {
    let b = this.bytesByNode.get(nodeId);
    if (b === undefined) {
      b = (this.store.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS b FROM sparkplug_outbox WHERE node_id = ?').get(nodeId) as { b: number }).b;
      this.bytesByNode.set(nodeId, b);
    }
    return b;
  }

  /** Appends, in one transaction with `also` (e.g. advancing event cursors), then enforces the size bound. */
  append(nodeId: number, entries: HeldEntry[], maxBytes: number, also?: () => void): void {
    if (!entries.length && !also) return;
    const now = Date.now();
    const ins = this.store.db.prepare('INSERT INTO sparkplug_outbox (node_id, data_source_id, created_at, n, bytes, body, sig) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let added = 0;
    this.store.tx(() => {
      // the size before this append (read from the table when not known yet: before the new rows are in it)
      const before = this.bytes(nodeId);
      for (const e of entries) {
        if (!e.values.length) continue;
        const body = e.encoded ? Buffer.from(e.encoded.body.buffer, e.encoded.body.byteOffset, e.encoded.body.byteLength) : JSON.stringify(e.values);
        ins.run(nodeId, e.dataSourceId, now, e.values.length, body.length, body, e.encoded?.sig ?? null);
        added += body.length;
      }
      also?.();
      this.bytesByNode.set(nodeId, before + added);
      this.bound(nodeId, maxBytes);
    });
  }

  /** Drops the oldest messages while the outbox is bigger than maxBytes; counts the values dropped. */
  private bound(nodeId: number, maxBytes: number): void {
    let bytes = this.bytes(nodeId);
    if (bytes <= maxBytes) return;
    const oldest = this.store.db.prepare('SELECT id, n, bytes FROM sparkplug_outbox WHERE node_id = ? ORDER BY id LIMIT 500');
    let dropped = 0;
    let lastId = -1;
    while (bytes > maxBytes) {
      const rows = oldest.all(nodeId) as { id: number; n: number; bytes: number }[];
      if (!rows.length) break;
      for (const r of rows) {
        if (bytes <= maxBytes) break;
        bytes -= r.bytes;
        dropped += r.n;
        lastId = r.id;
      }
      this.store.db.prepare('DELETE FROM sparkplug_outbox WHERE node_id = ? AND id <= ?').run(nodeId, lastId);
    }
    this.bytesByNode.set(nodeId, bytes);
    this.addDropped(nodeId, dropped);
  }

  /** Drops what is older than maxAgeMs; answers the number of values dropped. */
  expire(nodeId: number, maxAgeMs: number): number {
    return this.store.tx(() => {
      const cut = Date.now() - maxAgeMs;
      const r = this.store.db.prepare('SELECT COALESCE(SUM(n), 0) AS n, COALESCE(SUM(bytes), 0) AS b, MAX(id) AS last FROM sparkplug_outbox WHERE node_id = ? AND created_at < ?').get(nodeId, cut) as { n: number; b: number; last: number | null };
      if (r.last === null) return 0;
      this.store.db.prepare('DELETE FROM sparkplug_outbox WHERE node_id = ? AND id <= ?').run(nodeId, r.last);
      this.bytesByNode.set(nodeId, Math.max(0, this.bytes(nodeId) - r.b));
      this.addDropped(nodeId, r.n);
      return r.n;
    });
  }

  /** The oldest messages, in the order they were stored; those of the data sources in `held` (devices without a birth) stay. */
  peek(nodeId: number, limit: number, held: readonly number[] = []): OutboxRow[] {
    const skip = held.length ? ` AND (data_source_id IS NULL OR data_source_id NOT IN (${held.map(() => '?').join(',')}))` : '';
    return this.store.db.prepare(`SELECT id, data_source_id, created_at, n, body, sig FROM sparkplug_outbox WHERE node_id = ?${skip} ORDER BY id LIMIT ?`).all(nodeId, ...held, limit) as OutboxRow[];
  }

  /** Removes messages once they are sent. */
  remove(nodeId: number, ids: number[]): void {
    if (!ids.length) return;
    this.store.tx(() => {
      const del = this.store.db.prepare('DELETE FROM sparkplug_outbox WHERE id = ? RETURNING bytes');
      let freed = 0;
      for (const id of ids) freed += (del.get(id) as { bytes: number } | undefined)?.bytes ?? 0;
      this.bytesByNode.set(nodeId, Math.max(0, this.bytes(nodeId) - freed));
    });
  }

  isEmpty(nodeId: number): boolean {
    return !this.store.db.prepare('SELECT 1 FROM sparkplug_outbox WHERE node_id = ? LIMIT 1').get(nodeId);
  }

  stats(nodeId: number): OutboxStats {
    const r = this.store.db.prepare('SELECT COUNT(*) AS rows, COALESCE(SUM(n), 0) AS vals, MIN(created_at) AS oldest FROM sparkplug_outbox WHERE node_id = ?').get(nodeId) as { rows: number; vals: number; oldest: number | null };
    return { rows: r.rows, values: r.vals, bytes: this.bytes(nodeId), oldest: r.oldest, dropped: this.state(nodeId).dropped };
  }

  /** Forgets a deleted node: its outbox, state and energy marks. */
  forget(nodeId: number): void {
    this.store.tx(() => {
      for (const t of ['sparkplug_outbox', 'sparkplug_state', 'sparkplug_energy_sent']) this.store.db.prepare(`DELETE FROM ${t} WHERE node_id = ?`).run(nodeId);
    });
    this.bytesByNode.delete(nodeId);
  }

  state(nodeId: number): NodeState {
    this.store.db.prepare('INSERT OR IGNORE INTO sparkplug_state (node_id) VALUES (?)').run(nodeId);
    return this.store.db.prepare('SELECT bd_seq, dropped, alarm_cursor, audit_cursor, dr_cursor FROM sparkplug_state WHERE node_id = ?').get(nodeId) as NodeState;
  }

  /** The next bdSeq (0..255, wrapping), stored before the MQTT CONNECT that carries it in its will. */
  nextBdSeq(nodeId: number): number {
    const next = (this.state(nodeId).bd_seq + 1) & 0xff;
    this.store.db.prepare('UPDATE sparkplug_state SET bd_seq = ? WHERE node_id = ?').run(next, nodeId);
    return next;
  }

  setCursors(nodeId: number, c: Partial<Pick<NodeState, 'alarm_cursor' | 'audit_cursor' | 'dr_cursor'>>): void {
    this.state(nodeId);
    for (const [k, v] of Object.entries(c)) {
      if (v !== undefined) this.store.db.prepare(`UPDATE sparkplug_state SET ${k} = ? WHERE node_id = ?`).run(v, nodeId);
    }
  }

  /** Values that could not be sent (their point or device is no longer published): counted like the bounds' drops. */
  countDropped(nodeId: number, n: number): void {
    this.addDropped(nodeId, n);
  }

  private addDropped(nodeId: number, n: number): void {
    if (n <= 0) return;
    this.state(nodeId);
    this.store.db.prepare('UPDATE sparkplug_state SET dropped = dropped + ? WHERE node_id = ?').run(n, nodeId);
  }
}
