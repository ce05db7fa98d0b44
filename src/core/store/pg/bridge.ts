/**
 * A synchronous PostgreSQL connection: a worker thread owns one `pg` Client and answers each request over a
 * MessageChannel; the calling thread blocks on a SharedArrayBuffer with Atomics.wait until the answer is there and
 * takes it with receiveMessageOnPort. This is what lets the feature code, written against better-sqlite3's
 * synchronous API, run unchanged on PostgreSQL (see docs/store.md). One request at a time, in order, on one
 * connection: the same serial semantics as SQLite's single connection, transactions included.
 *
 * The worker's code is a string (an `eval` worker) so that it runs the same under vitest, tsx and the bundle.
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

export interface PgResult {
  fields: { name: string; type: number }[];
  rows: unknown[][];
  rowCount: number;
  command: string;
}

export interface PgError {
  code?: string;
  message: string;
  detail?: string;
  table?: string;
  column?: string;
  constraint?: string;
  /** in a batch: the statement that failed (those before it ran, those after it did not) */
  index?: number;
}

type Reply = { ok: true; result: PgResult | PgResult[] } | { ok: false; error: PgError };

const WORKER = String.raw`
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const { signal, port, url } = workerData;
const flag = new Int32Array(signal);
// what SQLite answers: numbers for 64-bit integers, sums and averages, 1/0 for booleans (int8 beyond 2^53 loses
// precision; no Switchyard column holds such values)
const types = {
  getTypeParser(oid, format) {
    if (oid === 20 || oid === 1700) return (v) => (v === null ? null : Number(v));
    if (oid === 16) return (v) => (v === null ? null : v === 't' ? 1 : 0);
    return pg.types.getTypeParser(oid, format);
  },
};
const client = new pg.Client({ connectionString: url, types });
let failed = null;
const ready = client.connect().then(
  () => client.query("SET client_min_messages = warning"),
  (e) => { failed = e; },
);
client.on('error', (e) => { failed = e; });
const answer = (msg) => {
  port.postMessage(msg);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
const errorOf = (e) => ({ code: e.code, message: e.message, detail: e.detail, table: e.table, column: e.column, constraint: e.constraint });
const shape = (r) => ({ fields: (r.fields || []).map((f) => ({ name: f.name, type: f.dataTypeID })), rows: r.rows || [], rowCount: r.rowCount == null ? 0 : r.rowCount, command: r.command || '' });
const param = (v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
port.on('message', async (req) => {
  await ready;
  if (req.op === 'close') {
    try { await client.end(); } catch {}
    answer({ ok: true, result: [] });
    port.close();
    return;
  }
  if (failed) return answer({ ok: false, error: errorOf(failed) });
  try {
    if (req.op === 'simple') {
      const r = await client.query(req.sql);
      answer({ ok: true, result: (Array.isArray(r) ? r : [r]).map(shape) });
    } else if (req.op === 'batch') {
      const out = [];
      for (let i = 0; i < req.items.length; i++) {
        const it = req.items[i];
        try {
          out.push(shape(await client.query({ text: it.sql, values: it.params.map(param), rowMode: 'array' })));
        } catch (e) {
          return answer({ ok: false, error: { ...errorOf(e), index: i } });
        }
      }
      answer({ ok: true, result: out });
    } else {
      const r = await client.query({ text: req.sql, values: req.params.map(param), rowMode: 'array' });
      answer({ ok: true, result: shape(r) });
    }
  } catch (e) {
    answer({ ok: false, error: errorOf(e) });
  }
});
`;

/**
 * Round trips made by every SyncPg of this process, and (with SWITCHYARD_PG_PROFILE set) by statement text: what
 * `test/peers/with-postgres.ts --profile` prints after each test to find the paths that make one round trip per row.
 */
export const pgRoundTrips = { count: 0, bySql: null as Map<string, number> | null };
if (process.env.SWITCHYARD_PG_PROFILE) pgRoundTrips.bySql = new Map();

export class SyncPg {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  open = true;

  constructor(readonly url: string, private readonly timeoutMs = 120_000) {
    const signal = new SharedArrayBuffer(4);
    this.flag = new Int32Array(signal);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const pgPath = createRequire(import.meta.url).resolve('pg');
    this.worker = new Worker(WORKER, { eval: true, workerData: { signal, port: port2, url, pgPath }, transferList: [port2] });
    this.worker.unref();
    this.port.unref();
  }

  /** One statement with $n parameters; rows as arrays. Throws a PgFailure on an error. */
  query(sql: string, params: unknown[]): PgResult {
    return this.call({ op: 'query', sql, params }) as PgResult;
  }

  /**
   * Several statements with parameters, run in order by the worker in one round trip from this thread: the first to
   * fail stops the batch (its error carries its `index`); the statements before it have run.
   */
  batch(items: { sql: string; params: unknown[] }[]): PgResult[] {
    if (!items.length) return [];
    return this.call({ op: 'batch', sql: `[batch] ${items[0].sql}`, items }) as PgResult[];
  }

  /** Several statements in one simple-protocol round trip (no parameters). */
  simple(sql: string): PgResult[] {
    return this.call({ op: 'simple', sql }) as PgResult[];
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    try {
      this.call({ op: 'close' });
    } finally {
      void this.worker.terminate();
    }
  }

  private call(req: { op: string; sql?: string; params?: unknown[]; items?: unknown[] }): PgResult | PgResult[] {
    pgRoundTrips.count++;
    if (pgRoundTrips.bySql && req.sql) pgRoundTrips.bySql.set(req.sql, (pgRoundTrips.bySql.get(req.sql) ?? 0) + 1);
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(req);
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const waited = Atomics.wait(this.flag, 0, 0, Math.max(1, deadline - Date.now()));
      const msg = receiveMessageOnPort(this.port);
      if (msg) {
        const reply = msg.message as Reply;
        if (!reply.ok) throw new PgFailure(reply.error);
        return reply.result;
      }
      if (waited === 'timed-out' || Date.now() >= deadline) throw new PgFailure({ code: 'TIMEOUT', message: `PostgreSQL did not answer within ${this.timeoutMs} ms` });
    }
  }
}

/** A PostgreSQL error; `sqlstate` is PostgreSQL's code, `code` what better-sqlite3 would have said (see db.ts). */
export class PgFailure extends Error {
  readonly sqlstate?: string;
  readonly detail?: string;
  readonly table?: string;
  readonly constraint?: string;
  readonly index?: number;
  code?: string;
  constructor(e: PgError) {
    super(e.message);
    this.index = e.index;
    this.sqlstate = e.code;
    this.code = e.code;
    this.detail = e.detail;
    this.table = e.table;
    this.constraint = e.constraint;
  }
}
