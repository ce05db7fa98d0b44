/**
 * Every 5xx is a bug. Every create and update route of every entity (from /api/meta/entities) gets hostile
 * bodies: broken JSON, wrong types per declared field, huge and deeply nested values, NUL bytes, odd unicode,
 * wrong shapes. Asserted: no 5xx, no request hangs, a 4xx writes nothing (entity tables and successful audit
 * entries unchanged), and the server still answers /api/health at the end. The seed is fixed, the number of
 * cases bounded, so every run sends the same requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

interface Field {
  name: string;
  type: string;
  readOnly?: boolean;
}
interface Meta {
  key: string;
  path: string | null;
  nestedUnder: { entity: string; field: string; name: string } | null;
  fields: Field[];
}

const SEED = 0x5eb12;
const CASES_PER_ROUTE = 5;

/** mulberry32: a small deterministic PRNG */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const deepValue = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  -1,
  0,
  1e308,
  -1e308,
  2 ** 63,
  1.5,
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '💥\u202e\u200f\ud83d',
  'x'.repeat(300),
  'y'.repeat(200_000),
  '1e999',
  'NaN',
  '-0',
  '2024-02-30T25:61:00',
  '99999999999999999999',
  '../../etc/passwd',
  '<svg onload=alert(1)>',
  "'; DROP TABLE points; --",
  '{"a":',
  [],
  [1, 'a', null],
  {},
  { id: 1 },
  deepValue(40),
  { __proto__: { admin: true } },
];

const DEEP_TEXT = `{"data":{"name":"deep","junk":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`;
const BROKEN_BODIES = [DEEP_TEXT, '{"data":', '{"data":{"name":"x"', 'nul', '{"data":{"name":"\\ud800"}}', '\u0000', '{"data":[]}', '{"data":"x"}', '[]', '"data"', '{"data":{}}', '{"data":null}'];

describe('fuzzing every create and update route', () => {
  let rt: TestRuntime;
  let meta: Meta[];
  const random = prng(SEED);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const tables: string[] = [];

  beforeAll(async () => {
    rt = await startTestRuntime();
    meta = (await rt.api<Meta[]>('GET', '/meta/entities')).body;
    for (const m of meta) {
      const t = (rt.ctx.registry.get(m.key) as { table: string }).table;
      tables.push(t);
    }
  });
  afterAll(async () => rt?.stop());

  /** What a refused request must not change: every entity table (its rows, the target's whole content) and the successful audit entries. */
  const snapshot = (target: string) => {
    const db = rt.ctx.store.db;
    const counts = tables.map((t) => `${t}:${JSON.stringify(db.prepare(`SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS m FROM ${t}`).get())}`);
    const rows = JSON.stringify(db.prepare(`SELECT * FROM ${target} ORDER BY id`).all());
    const audit = db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE result = 'ok'").get() as { n: number };
    return `${counts.join('|')}|${rows}|audit:${audit.n}`;
  };

  const send = async (method: string, path: string, body: string) => {
    const r = await fetch(`${rt.url}/api${path}`, { method, headers: { ...rt.headers, 'Content-Type': pick(['application/json', 'text/plain', 'application/json; charset=utf-8']) }, body, signal: AbortSignal.timeout(15_000) });
    return { status: r.status, text: await r.text() };
  };

  const bodyFor = (m: Meta): string => {
    const kind = random();
    if (kind < 0.2) return pick(BROKEN_BODIES);
    if (kind < 0.3) return JSON.stringify({ data: pick(HOSTILE_VALUES) });
    const data: Record<string, unknown> = {};
    const fields = m.fields.filter((f) => !f.readOnly);
    const n = 1 + Math.floor(random() * Math.min(4, Math.max(1, fields.length)));
    for (let i = 0; i < n && fields.length; i++) data[pick(fields).name] = pick(HOSTILE_VALUES);
    if (random() < 0.2) data[`unknown_${Math.floor(random() * 100)}`] = deepValue(50);
    return JSON.stringify({ data });
  };

  it('answers no hostile body with a 5xx, hangs on none, and writes nothing on a 4xx', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const m of meta) {
      const routes: { method: string; path: string }[] = [];
      if (m.path) {
        const list = await rt.api<{ id: number }[]>('GET', `/${m.path}`);
        const first = Array.isArray(list.body) && list.body.length ? list.body[0].id : 1;
        routes.push({ method: 'POST', path: `/${m.path}` }, { method: 'PUT', path: `/${m.path}/${first}` });
      } else if (m.nestedUnder) {
        const parent = meta.find((x) => x.key === m.nestedUnder!.entity);
        if (parent?.path) routes.push({ method: 'POST', path: `/${parent.path}/1/${m.nestedUnder.name}` }, { method: 'PUT', path: `/${parent.path}/1/${m.nestedUnder.name}/1` });
      }
      for (const route of routes) {
        for (let c = 0; c < CASES_PER_ROUTE; c++) {
          const body = bodyFor(m);
          const table = (rt.ctx.registry.get(m.key) as { table: string }).table;
          const before = snapshot(table);
          let answer: { status: number; text: string };
          try {
            answer = await send(route.method, route.path, body);
          } catch (e) {
            failures.push(`${route.method} ${route.path} ${body.slice(0, 120)}: no answer (${(e as Error).name})`);
            continue;
          }
          sent++;
          if (answer.status >= 500) failures.push(`${route.method} ${route.path} ${body.slice(0, 120)}: ${answer.status} ${answer.text.slice(0, 200)}`);
          else if (answer.status >= 400 && snapshot(table) !== before) failures.push(`${route.method} ${route.path} ${body.slice(0, 120)}: ${answer.status} but the store changed`);
          if (answer.status < 500) expect(answer.text).not.toMatch(/\bat .*\.(ts|js):\d+/); // never a stack trace
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(meta.length * CASES_PER_ROUTE);
    const health = await fetch(`${rt.url}/api/health`);
    expect(health.status).toBe(200);
  }, 300_000);
});
