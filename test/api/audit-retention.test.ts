import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { login } from '../support/process';

const DAY = 86_400_000;

describe('audit log retention (/api/settings/audit)', () => {
  let rt: TestRuntime;
  const as =
    (headers: Record<string, string>) =>
    async <T>(method: string, route: string, data?: unknown) => {
      const r = await fetch(`${rt.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
      return { status: r.status, body: (await r.json()) as T };
    };
  const count = (where: string, ...args: unknown[]) => Number((rt.ctx.store.db.prepare(`SELECT COUNT(*) AS n FROM audit_log WHERE ${where}`).get(...args) as { n: number | string }).n);
  /** rows written straight into audit_log, `daysAgo` days old (as automatic setpoint writes would have left them) */
  const insertOld = (n: number, daysAgo: number, action: string) => {
    const at = new Date(Date.now() - daysAgo * DAY).toISOString();
    const ins = rt.ctx.store.db.prepare("INSERT INTO audit_log (utc_date_time, user_id, user_name, action, target, result) VALUES (?, NULL, 'schedule', ?, 'point:1', 'ok')");
    rt.ctx.store.tx(() => {
      for (let i = 0; i < n; i++) ins.run(at, action);
    });
  };

  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt?.stop());

  it('keeps three years by default', async () => {
    const r = await rt.api<{ retention_days: number }>('GET', '/settings/audit');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ retention_days: 1095 });
  });

  it('a shorter retention removes the older entries (in several steps), keeps the newer ones and is audited', async () => {
    // 4,500 rows: more than one purge step (2,000)
    insertOld(4500, 400, 'test.old');
    insertOld(3, 100, 'test.recent');
    const before = count('1 = 1');
    const r = await rt.api<{ retention_days: number; purged: number }>('PUT', '/settings/audit', { retention_days: 365 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ retention_days: 365, purged: 4500 });
    expect(count("action = 'test.old'")).toBe(0);
    expect(count("action = 'test.recent'")).toBe(3);
    // everything else kept, and the change itself recorded: one more row than before less the purged ones
    expect(count('1 = 1')).toBe(before - 4500 + 1);
    const change = rt.ctx.store.db.prepare("SELECT user_name, old_value, new_value, result FROM audit_log WHERE target = 'settings:audit' ORDER BY id DESC").all() as Record<string, unknown>[];
    expect(change).toHaveLength(1);
    expect(change[0]).toMatchObject({ user_name: 'administrator', new_value: '365', result: 'ok' });
    expect((await rt.api('GET', '/settings/audit')).body).toEqual({ retention_days: 365 });

    // 30 days: the 100-day-old rows go too, the recent ones (today's logins, the change above) stay
    const r2 = await rt.api<{ retention_days: number; purged: number }>('PUT', '/settings/audit', { retention_days: 30 });
    expect(r2.body).toEqual({ retention_days: 30, purged: 3 });
    expect(count("action = 'test.recent'")).toBe(0);
    expect(count("target = 'settings:audit'")).toBe(2);
  });

  it('a bad retention_days is a 400 naming it and changes nothing', async () => {
    insertOld(5, 40, 'test.bad');
    const current = (await rt.api<{ retention_days: number }>('GET', '/settings/audit')).body.retention_days;
    for (const value of [0, -1, 1.5, '30', null, 36_501, true]) {
      const r = await rt.api<{ field: string; description: string }>('PUT', '/settings/audit', { retention_days: value });
      expect(r.status, String(value)).toBe(400);
      expect(r.body.field).toBe('retention_days');
      expect(r.body.description).toBe('API.INVALID_RETENTION_DAYS');
    }
    const missing = await rt.api<{ field: string }>('PUT', '/settings/audit', {});
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('retention_days');
    expect((await rt.api('GET', '/settings/audit')).body).toEqual({ retention_days: current });
    expect(count("action = 'test.bad'")).toBe(5);
  });

  it('read-only users and operators get a 403 and purge nothing', async () => {
    insertOld(7, 3000, 'test.kept');
    for (const [name, extra] of [
      ['reta', { is_read_only: true }],
      ['opal', {}],
    ] as const) {
      const made = await rt.api('POST', '/users', { name, display_name: name, email: `${name}@site.test`, password: 'Operator-1-pass', ...extra });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const { headers } = await login(rt.url, name, 'Operator-1-pass');
      expect((await as(headers)('PUT', '/settings/audit', { retention_days: 1 })).status, name).toBe(403);
      expect((await as(headers)('GET', '/settings/audit')).status, name).toBe(403);
    }
    expect(count("action = 'test.kept'")).toBe(7);
    expect((await rt.api('GET', '/settings/audit')).body).toEqual({ retention_days: 30 });
  });
});
