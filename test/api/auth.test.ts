import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

describe('users, sessions, API keys and privileges', () => {
  let rt: TestRuntime;
  const as = (headers: Record<string, string>) => async <T>(method: string, route: string, data?: unknown) => {
    const r = await fetch(`${rt.url}/api${route}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: data === undefined ? undefined : JSON.stringify({ data }) });
    return { status: r.status, body: (await r.json().catch(() => null)) as T };
  };
  const loginAs = (body: Record<string, unknown>) => as({})<Record<string, unknown>>('PUT', '/users/login', body);
  const user = async (fields: Record<string, unknown>) => {
    const r = await rt.api<{ id: number }>('POST', '/users', { display_name: String(fields.name), email: `${String(fields.name)}@site.example`, password: 'Operator-1', ...fields });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id;
  };

  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt?.stop());

  it('health is public, everything else needs credentials', async () => {
    expect((await as({})('GET', '/health')).status).toBe(200);
    const r = await as({})<{ title: string }>('GET', '/meters');
    expect(r.status).toBe(401);
    expect(r.body.title).toBe('API.UNAUTHORIZED');
    expect((await as({ 'User-UUID': rt.headers['User-UUID'], Token: 'forged' })('GET', '/meters')).status).toBe(401);
  });

  it('logs in by name or e-mail; the password is never returned and is stored hashed', async () => {
    await user({ name: 'alice' });
    const byName = await loginAs({ name: 'alice', password: 'Operator-1' });
    expect(byName.status).toBe(200);
    expect(byName.body).toMatchObject({ name: 'alice', is_admin: false });
    expect((await loginAs({ email: 'ALICE@site.example', password: 'Operator-1' })).status).toBe(200);
    const listed = await rt.api<Record<string, unknown>[]>('GET', '/users');
    expect(listed.body.every((u) => !('password' in u))).toBe(true);
    const stored = rt.ctx.store.db.prepare("SELECT password FROM users WHERE name = 'alice'").get() as { password: string };
    expect(stored.password).not.toContain('Operator-1');
    expect(stored.password).toMatch(/scrypt/);
  });

  it('locks an account for a while after 5 wrong passwords, saying no more than for a wrong password; an administrator can unlock it', async () => {
    const id = await user({ name: 'bob' });
    const unknown = await loginAs({ name: 'nobody-here', password: 'Operator-1' });
    expect(unknown.status).toBe(401);
    for (let i = 0; i < 5; i++) expect(await loginAs({ name: 'bob', password: 'wrong' })).toEqual(unknown);
    // the right password on a locked account: the same answer as an unknown user
    expect(await loginAs({ name: 'bob', password: 'Operator-1' })).toEqual(unknown);
    const row = rt.ctx.store.db.prepare('SELECT is_locked, locked_until_datetime_utc FROM users WHERE id = ?').get(id) as { is_locked: number; locked_until_datetime_utc: string };
    expect(row.is_locked).toBe(1);
    const lockMs = Date.parse(`${row.locked_until_datetime_utc}Z`) - Date.now();
    expect(lockMs).toBeGreaterThan(0);
    expect(lockMs).toBeLessThanOrEqual(61_000);
    expect((await rt.api('PUT', `/users/unlock/${id}`)).status).toBe(200);
    expect((await loginAs({ name: 'bob', password: 'Operator-1' })).status).toBe(200);
    const audit = await rt.api<{ action: string; user_name: string }[]>('GET', '/auditlogs?action=login_failed');
    expect(audit.body.filter((a) => a.user_name === 'bob').length).toBeGreaterThanOrEqual(6);
  });

  it('refuses expired accounts and expired passwords', async () => {
    await user({ name: 'carol', account_expiration_datetime: '2020-01-01T00:00:00' });
    expect((await loginAs({ name: 'carol', password: 'Operator-1' })).body.description).toBe('API.USER_ACCOUNT_HAS_EXPIRED');
    await user({ name: 'dave', password_expiration_datetime: '2020-01-01T00:00:00' });
    expect((await loginAs({ name: 'dave', password: 'Operator-1' })).body.description).toBe('API.USER_PASSWORD_HAS_EXPIRED');
  });

  it('a read-only user reads but cannot write', async () => {
    await user({ name: 'erin', is_read_only: true });
    const { headers } = await login(rt.url, 'erin', 'Operator-1');
    expect((await as(headers)('GET', '/meters')).status).toBe(200);
    const w = await as(headers)<{ description: string }>('POST', '/gateways', { name: 'nope' });
    expect(w.status).toBe(403);
    expect((await rt.api<unknown[]>('GET', '/gateways')).body.some((g) => (g as { name: string }).name === 'nope')).toBe(false);
  });

  it('a non-administrator sees only the spaces of their privilege and their sub-spaces, and cannot configure', async () => {
    const tz = (await rt.api<{ id: number }[]>('GET', '/timezones')).body[0].id;
    const space = async (name: string, parent?: number) => (await rt.api<{ id: number }>('POST', '/spaces', { name, area: 1, timezone_id: tz, parent_space_id: parent ?? null })).body.id;
    const north = await space('North');
    const hall = await space('North hall', north);
    const south = await space('South');
    const priv = (await rt.api<{ id: number }>('POST', '/privileges', { name: 'North only', data: JSON.stringify({ spaces: [north] }) })).body.id;
    await user({ name: 'frank', privilege_id: priv });
    const { headers } = await login(rt.url, 'frank', 'Operator-1');
    const seen = (await as(headers)<{ id: number }[]>('GET', '/spaces')).body.map((s) => s.id);
    expect(seen).toEqual(expect.arrayContaining([north, hall]));
    expect(seen).not.toContain(south);
    expect((await as(headers)('GET', `/spaces/${south}`)).status).toBe(403);
    expect((await as(headers)('POST', '/gateways', { name: 'x' })).status).toBe(403);
  });

  it('API keys: shown once, work in the API-Key header, stored hashed', async () => {
    const created = await rt.api<{ id: number; token: string }>('POST', '/apikeys', { name: 'integration', expires_datetime_utc: '2030-01-01T00:00:00' });
    expect(created.status).toBe(201);
    expect(created.body.token.length).toBeGreaterThan(20);
    expect(((await rt.api<Record<string, unknown>>('GET', `/apikeys/${created.body.id}`)).body as Record<string, unknown>).token).toBeUndefined();
    expect((await as({ 'API-Key': created.body.token })('GET', '/meters')).status).toBe(200);
    expect((await as({ 'API-Key': `${created.body.token}x` })('GET', '/meters')).status).toBe(401);
    const row = rt.ctx.store.db.prepare('SELECT token_hash FROM api_keys WHERE id = ?').get(created.body.id) as { token_hash: string };
    expect(row.token_hash).not.toBe(created.body.token);
  });

  it('logout ends the session; change and reset password end the other sessions', async () => {
    await user({ name: 'gina' });
    const first = await login(rt.url, 'gina', 'Operator-1');
    const second = await login(rt.url, 'gina', 'Operator-1');
    expect((await as(first.headers)('PUT', '/users/logout')).status).toBe(200);
    expect((await as(first.headers)('GET', '/meters')).status).toBe(401);
    const bad = await as(second.headers)<{ field: string }>('PUT', '/users/changepassword', { old_password: 'wrong', new_password: 'Another-Pass-1' });
    expect(bad.body.field).toBe('old_password');
    expect((await as(second.headers)('PUT', '/users/changepassword', { old_password: 'Operator-1', new_password: 'Another-Pass-1' })).status).toBe(200);
    expect((await as(second.headers)('GET', '/meters')).status).toBe(401);
    expect((await loginAs({ name: 'gina', password: 'Another-Pass-1' })).status).toBe(200);
    expect((await rt.api('PUT', '/users/resetpassword', { name: 'gina', password: 'Reset-Pass-1' })).status).toBe(200);
    expect((await loginAs({ name: 'gina', password: 'Reset-Pass-1' })).status).toBe(200);
    expect((await loginAs({ name: 'gina', password: 'Another-Pass-1' })).status).toBe(401);
  });
});
