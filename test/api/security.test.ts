import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';
import { runRecovery } from '../../src/cli';
import { ValueBatch } from '../../src/core/values/batch';

type Row = Record<string, unknown>;
type Headers = Record<string, string>;

/**
 * Issue 12, sections 1 and 2: secrets never leave the store, authorization on every object, login that tells
 * nothing, temporary locks with a recovery from the machine, keys that carry their user's rights, one
 * spelling of every path, a password policy and bounded sessions.
 */
describe('security: secrets, object-level authorization, login and sessions', () => {
  let rt: TestRuntime;
  const call = async <T = unknown>(headers: Headers, method: string, route: string, data?: unknown, raw = false) => {
    const r = await fetch(`${rt.url}${raw ? '' : '/api'}${route}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: data === undefined ? undefined : JSON.stringify({ data }) });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* CSV and plain text */
    }
    return { status: r.status, body: body as T, text };
  };
  const login = async (name: string, password: string): Promise<Headers> => {
    const r = await call<{ user_uuid: string; token: string }>({}, 'PUT', '/users/login', { name, password });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return { 'User-UUID': r.body.user_uuid, Token: r.body.token };
  };
  const create = async (route: string, data: Row) => {
    const r = await rt.api<{ id: number; token?: string }>('POST', route, data);
    expect(r.status, `${route}: ${JSON.stringify(r.body)}`).toBe(201);
    return r.body;
  };
  const user = async (name: string, extra: Row = {}) => create('/users', { name, display_name: name, email: `${name}@site.test`, password: `${name}-Pass-2026`, ...extra });

  // the plant: North (in the limited user's privilege) and South (outside it)
  const ids: Record<string, number> = {};
  let admin: Headers;
  let operator: Headers;
  let viewer: Headers;
  let limited: Headers;

  beforeAll(async () => {
    rt = await startTestRuntime();
    admin = rt.headers;
    const first = async (route: string) => (await rt.api<{ id: number }[]>('GET', route)).body[0].id;
    const tz = await first('/timezones');
    const category = await first('/energycategories');
    const costCenter = (await create('/costcenters', { name: 'Plant' })).id;
    ids.north = (await create('/spaces', { name: 'North', area: 1, timezone_id: tz })).id;
    ids.northHall = (await create('/spaces', { name: 'North hall', area: 1, timezone_id: tz, parent_space_id: ids.north })).id;
    ids.south = (await create('/spaces', { name: 'South', area: 1, timezone_id: tz })).id;
    ids.gateway = (await create('/gateways', { name: 'GW' })).id;
    ids.manual = (await create('/datasources', { name: 'Manual', gateway_id: ids.gateway, protocol: 'manual', connection: '{}' })).id;
    ids.mqtt = (await create('/datasources', {
      name: 'Broker',
      gateway_id: ids.gateway,
      protocol: 'mqtt',
      connection: JSON.stringify({ host: '127.0.0.1', port: 1, username: 'plant', password: 'Mqtt-Secret-991', interval_in_seconds: 60 }),
    })).id;
    const point = async (name: string) => (await create('/points', { name, data_source_id: ids.manual, object_type: 'ANALOG_VALUE', address: '{}' })).id;
    ids.pointN = await point('North power');
    ids.pointS = await point('South power');
    const meter = async (name: string) => (await create('/meters', { name, energy_category_id: category, cost_center_id: costCenter })).id;
    ids.meterN = await meter('North meter');
    ids.meterS = await meter('South meter');
    ids.commandS = (await create('/commands', { name: 'South breaker', topic: `point:${ids.pointS}`, payload: '$s1', set_value: 1 })).id;
    const bind = async (route: string, data: Row) => expect((await rt.api('POST', route, data)).status).toBe(201);
    await bind(`/spaces/${ids.northHall}/meters`, { meter_id: ids.meterN });
    await bind(`/spaces/${ids.south}/meters`, { meter_id: ids.meterS });
    await bind(`/meters/${ids.meterN}/points`, { point_id: ids.pointN });
    await bind(`/meters/${ids.meterS}/points`, { point_id: ids.pointS });
    await bind(`/spaces/${ids.south}/commands`, { command_id: ids.commandS });
    ids.privilege = (await create('/privileges', { name: 'North only', data: JSON.stringify({ spaces: [ids.north] }) })).id;
    ids.operator = (await user('oscar')).id;
    ids.viewer = (await user('vera', { is_read_only: true })).id;
    ids.limited = (await user('lena', { privilege_id: ids.privilege })).id;
    operator = await login('oscar', 'oscar-Pass-2026');
    viewer = await login('vera', 'vera-Pass-2026');
    limited = await login('lena', 'lena-Pass-2026');
  });
  afterAll(async () => rt?.stop());

  describe('1. secrets never leave the store', () => {
    it('a scripted session that sets every kind of secret leaves none in the audit log (JSON and CSV) or the server log', async () => {
      const secrets = ['Smtp-Secret-771', 'Changed-Pass-552', 'Reset-Pass-8812', 'Ecobee-Token-3345', 'Mqtt-Secret-991', 'Mqtt-Secret-992', 'Created-Pass-4410'];
      await user('sam', { password: 'Created-Pass-4410' });
      const sam = await login('sam', 'Created-Pass-4410');
      expect((await call(sam, 'PUT', '/users/changepassword', { old_password: 'Created-Pass-4410', new_password: 'Changed-Pass-552' })).status).toBe(200);
      expect((await rt.api('PUT', '/users/resetpassword', { name: 'sam', password: 'Reset-Pass-8812' })).status).toBe(200);
      await create('/emailservers', { host: '127.0.0.1', port: 2525, requires_authentication: true, user_name: 'alarms', password: 'Smtp-Secret-771', from_addr: 'alarms@site.test' });
      expect((await rt.api('PUT', '/dr/ecobee', { base_url: 'http://127.0.0.1:9', token: 'Ecobee-Token-3345' })).status).toBe(200);
      const key = await create('/apikeys', { name: 'integration', expires_datetime_utc: '2099-01-01T00:00:00' });
      secrets.push(key.token!);
      const partner = (await rt.api<{ api_key: string }>('POST', '/dr/partners', { name: 'Fleet' })).body;
      secrets.push(partner.api_key);
      const ds = await rt.api('PUT', `/datasources/${ids.mqtt}`, {
        name: 'Broker',
        gateway_id: ids.gateway,
        protocol: 'mqtt',
        connection: { host: '127.0.0.1', port: 1, username: 'plant', password: 'Mqtt-Secret-992', interval_in_seconds: 60 },
      });
      expect(ds.status, JSON.stringify(ds.body)).toBe(200);
      // a failed login with the password in the body
      expect((await call({}, 'PUT', '/users/login', { name: 'sam', password: 'Changed-Pass-552' })).status).toBe(401);

      const json = await rt.api<Row[]>('GET', '/auditlogs?limit=10000');
      const csv = await call(admin, 'GET', '/auditlogs.csv?limit=10000');
      expect(json.body.length).toBeGreaterThan(10);
      expect(json.body.some((r) => r.action === 'config.create' && String(r.new_value).includes('[redacted]'))).toBe(true);
      for (const s of secrets) {
        expect(JSON.stringify(json.body), s).not.toContain(s);
        expect(csv.text, s).not.toContain(s);
      }
      // the log of the server (every line goes through the same redaction)
      const { redactText } = await import('../../src/core/audit/redact');
      expect(redactText(`error on PUT /api/x?token=${key.token}: {"password":"Smtp-Secret-771"} mqtt://plant:Mqtt-Secret-991@127.0.0.1`)).not.toMatch(/Smtp-Secret|Mqtt-Secret|[0-9a-f]{64}/);
    });

    it('a migration redacts audit entries written in clear by earlier builds', async () => {
      const { auditMigrations } = await import('../../src/core/audit/audit');
      const db = rt.ctx.store.db;
      const id = Number(
        db.prepare("INSERT INTO audit_log (utc_date_time, user_id, user_name, action, target, new_value, result) VALUES ('2025-01-01T00:00:00Z', 1, 'administrator', 'config.create', 'users:new', ?, 'ok')").run(
          JSON.stringify({ name: 'old', password: 'Legacy-Clear-123', connection: '{"host":"h","password":"Legacy-Mqtt-1"}' }),
        ).lastInsertRowid,
      );
      auditMigrations.migrations.find((m) => m.version === 2)!.up(db);
      const row = db.prepare('SELECT new_value FROM audit_log WHERE id = ?').get(id) as { new_value: string };
      expect(row.new_value).not.toMatch(/Legacy-Clear|Legacy-Mqtt/);
      expect(JSON.parse(row.new_value)).toMatchObject({ name: 'old', password: '[redacted]' });
    });

    it('connection secrets are write-only; only administrators see connection details', async () => {
      const got = await rt.api<Row>('GET', `/datasources/${ids.mqtt}`);
      const connection = JSON.parse(String(got.body.connection));
      expect(connection).toMatchObject({ host: '127.0.0.1', username: 'plant', password: { set: true } });
      expect(JSON.stringify(got.body)).not.toContain('Mqtt-Secret');
      expect(JSON.stringify((await rt.api('GET', `/datasources/${ids.mqtt}/export`)).body)).not.toContain('Mqtt-Secret');
      // sending the placeholder back keeps the stored secret
      const put = await rt.api('PUT', `/datasources/${ids.mqtt}`, { connection: { ...connection, port: 2 } });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const stored = JSON.parse((rt.ctx.store.db.prepare('SELECT connection FROM data_sources WHERE id = ?').get(ids.mqtt) as { connection: string }).connection);
      expect(stored).toMatchObject({ port: 2, password: expect.stringMatching(/^Mqtt-Secret-99\d$/) });
      // a clone keeps it too
      const clone = await rt.api<{ id: number }>('POST', `/datasources/${ids.mqtt}/clone`);
      expect(clone.status).toBe(201);
      const cloned = JSON.parse((rt.ctx.store.db.prepare('SELECT connection FROM data_sources WHERE id = ?').get(clone.body.id) as { connection: string }).connection);
      expect(cloned.password).toBe(stored.password);
      expect((await rt.api('DELETE', `/datasources/${clone.body.id}`)).status).toBe(204);
      for (const h of [operator, viewer]) {
        const one = await call<Row>(h, 'GET', `/datasources/${ids.mqtt}`);
        expect(one.status).toBe(200);
        expect(one.body).not.toHaveProperty('connection');
        const list = await call<Row[]>(h, 'GET', '/datasources');
        expect(list.body.every((d) => !('connection' in d))).toBe(true);
        expect(JSON.stringify((await call(h, 'GET', `/datasources/${ids.mqtt}/export`)).body)).not.toContain('"connection"');
        expect(JSON.stringify((await call(h, 'GET', `/gateways/${ids.gateway}/datasources`)).body)).not.toContain('"connection"');
      }
    });

    it('administrators read the whole audit log; operators and read-only users only their own entries (JSON and CSV)', async () => {
      const all = await rt.api<Row[]>('GET', '/auditlogs?limit=10000');
      expect(new Set(all.body.map((r) => r.user_id)).size).toBeGreaterThan(2);
      for (const [h, id] of [
        [operator, ids.operator],
        [viewer, ids.viewer],
      ] as const) {
        const mine = await call<Row[]>(h, 'GET', '/auditlogs?limit=10000');
        expect(mine.status).toBe(200);
        expect(mine.body.length).toBeGreaterThan(0); // their own login
        expect(mine.body.every((r) => r.user_id === id)).toBe(true);
        const csv = await call(h, 'GET', '/auditlogs.csv?limit=10000');
        expect(csv.status).toBe(200);
        const lines = csv.text.trim().split(/\r\n/).slice(1);
        expect(lines.length).toBe(mine.body.length);
        expect(csv.text).not.toContain('administrator');
      }
    });
  });

  describe('2. authorization on every object', () => {
    it('a privilege-limited user is refused a space outside the privilege on every route family that names it', async () => {
      const s = ids.south;
      for (const route of [`/spaces/${s}`, `/spaces/${s}/export`, `/spaces/${s}/meters`, `/spaces/${s}/children`, `/spaces/${s}/points`, `/spaces/${s}/commands`]) {
        const r = await call<Row>(limited, 'GET', route);
        expect(r.status, route).toBe(403);
        expect(r.body.description).toBe('API.NO_PRIVILEGE');
      }
      expect((await call(limited, 'GET', `/spaces/${ids.north}/export`)).status).toBe(200);
      expect((await call<Row[]>(limited, 'GET', `/spaces/${ids.north}/children`)).body.map((r) => r.id)).toEqual([ids.northHall]);
    });

    it('objects bound into a space follow it: meters, their points, latest values, trends, commands and bindings', async () => {
      const refused = [
        ['GET', `/meters/${ids.meterS}`],
        ['GET', `/meters/${ids.meterS}/export`],
        ['GET', `/meters/${ids.meterS}/points`],
        ['GET', `/points/${ids.pointS}`],
        ['GET', `/points/${ids.pointS}/latest`],
        ['GET', `/points/${ids.pointS}/trend`],
        ['GET', `/commands/${ids.commandS}`],
        ['PUT', `/commands/${ids.commandS}/send`],
        ['PUT', `/points/${ids.pointS}/write`],
      ] as const;
      for (const [method, route] of refused) expect((await call(limited, method, route, method === 'PUT' ? { value: 1, set_value: 1 } : undefined)).status, `${method} ${route}`).toBe(403);
      for (const route of [`/meters/${ids.meterN}`, `/meters/${ids.meterN}/points`, `/points/${ids.pointN}`, `/points/${ids.pointN}/latest`, `/points/${ids.pointN}/trend`]) {
        expect((await call(limited, 'GET', route)).status, route).toBe(200);
      }
      // lists show only what the privilege reaches
      expect((await call<Row[]>(limited, 'GET', '/meters')).body.map((m) => m.id)).toEqual([ids.meterN]);
      expect((await call<Row[]>(limited, 'GET', '/points')).body.map((m) => m.id)).toEqual([ids.pointN]);
      expect((await call<Row[]>(limited, 'GET', `/datasources/${ids.manual}/points`)).body.map((m) => m.id)).toEqual([ids.pointN]);
      expect((await call<Row[]>(limited, 'GET', '/spaces')).body.map((m) => m.id).sort()).toEqual([ids.north, ids.northHall].sort());
      // unrestricted users see all of it
      expect((await call<Row[]>(operator, 'GET', '/meters')).body).toHaveLength(2);
    });

    it('alarms and live values follow their point', async () => {
      for (const p of [ids.pointN, ids.pointS]) {
        expect((await rt.api('PUT', `/points/${p}`, { higher_limit: 10 })).status).toBe(200);
        expect((await rt.api('POST', '/pointalarms', { point_id: p })).status).toBe(201);
      }
      rt.ctx.values.publish(ValueBatch.of([ids.pointN, ids.pointS].map((point_id) => ({ point_id, value: 50, quality: 'good' as const, ts: Date.now() }))));
      const all = await waitFor(async () => {
        const r = (await rt.api<Row[]>('GET', '/alarms')).body;
        return r.some((a) => a.point_id === ids.pointN) && r.some((a) => a.point_id === ids.pointS) && r;
      }, 'both alarms');
      const south = all.find((a) => a.point_id === ids.pointS)!;
      const north = all.find((a) => a.point_id === ids.pointN)!;
      const seen = (await call<Row[]>(limited, 'GET', '/alarms')).body;
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((a) => a.point_id === ids.pointN)).toBe(true);
      for (const [method, route] of [
        ['GET', `/alarms/${south.id}`],
        ['GET', `/alarms/${south.id}/history`],
        ['PUT', `/alarms/${south.id}/ack`],
        ['PUT', '/alarms/ack'],
        ['GET', '/alarms/999999'],
      ] as const) {
        const r = await call(limited, method, route, method === 'PUT' ? { ids: [south.id], comment: 'x' } : undefined);
        expect(r.status, `${method} ${route}`).toBe(403);
      }
      expect((await call(limited, 'GET', `/alarms/${north.id}`)).status).toBe(200);
      const banner = (await call<Row>(limited, 'GET', '/alarms/summary')).body;
      expect(banner.unacknowledged_alarms).toBe(seen.filter((a) => !a.acknowledged).length);
      expect((banner.newest_unacknowledged as Row).point_id).toBe(ids.pointN);
      expect(((await rt.api<Row>('GET', '/alarms/summary')).body.unacknowledged_alarms as number) > (banner.unacknowledged_alarms as number)).toBe(true);
      expect((await call<Row>(admin, 'GET', `/alarms/${south.id}`)).body.state).toBe('UNACK');
      expect((await call<Row[]>(operator, 'GET', '/alarms')).body.some((a) => a.point_id === ids.pointS)).toBe(true);

      // the live stream: a subscription outside the privilege is refused, the rest is served
      const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/api/live`, { headers: { 'User-UUID': limited['User-UUID'], Token: limited.Token } });
      const messages: Row[] = [];
      ws.on('message', (m) => messages.push(JSON.parse(String(m)) as Row));
      try {
        await waitFor(() => messages.some((m) => m.type === 'ready'), 'ready');
        ws.send(JSON.stringify({ type: 'subscribe', point_ids: [ids.pointN, ids.pointS] }));
        const refused = await waitFor(() => messages.find((m) => m.type === 'error'), 'refusal');
        expect(refused.point_ids).toEqual([ids.pointS]);
        rt.ctx.values.publish(ValueBatch.of([ids.pointN, ids.pointS].map((point_id) => ({ point_id, value: 51, quality: 'good' as const, ts: Date.now() }))));
        await waitFor(() => JSON.stringify(messages).includes(`"point_id":${ids.pointN}`), 'north value');
        // back to normal: both alarms change; the limited client hears of the north one only
        rt.ctx.values.publish(ValueBatch.of([ids.pointN, ids.pointS].map((point_id) => ({ point_id, value: 5, quality: 'good' as const, ts: Date.now() }))));
        await waitFor(() => messages.some((m) => m.type === 'alarms' && JSON.stringify(m.changed).includes(`"point_id":${ids.pointN}`)), 'north alarm change');
        expect((await rt.api<Row>('GET', `/alarms/${south.id}`)).body.active).toBe(false);
        expect(JSON.stringify(messages)).not.toContain(`"point_id":${ids.pointS}`);
      } finally {
        ws.close();
      }
    });

    it('permissions come before existence: ids cannot be probed', async () => {
      expect((await call(limited, 'GET', '/spaces/999999')).status).toBe(403);
      expect((await call(limited, 'GET', '/meters/999999/export')).status).toBe(403);
      expect((await rt.api('GET', '/spaces/999999')).status).toBe(404);
      for (const h of [operator, viewer, limited]) {
        expect((await call(h, 'PUT', '/stores/999999', { name: 'x' })).status).toBe(403);
        expect((await call(h, 'DELETE', '/meters/999999')).status).toBe(403);
        expect((await call(h, 'POST', '/spaces/999999/clone')).status).toBe(403);
      }
      expect((await rt.api('PUT', '/stores/999999', { name: 'x' })).status).toBe(404);
    });
  });

  describe('2. paths have one spelling', () => {
    it('//api, /%61pi, dot segments: no route answers without credentials, and 401 comes before 400/404', async () => {
      for (const route of ['//api/status', '/%61pi/status', '/api/./status', '/api/x/../status', '//api/meta/entities', '/%61pi/meta/entities', '/api//spaces/999999', '/%61pi/spaces/abc', '/api/no-such-route', '/API/status']) {
        const r = await call<Row>({}, 'GET', route, undefined, true);
        expect(r.status, route).toBe(401);
        expect(r.body.title).toBe('API.UNAUTHORIZED');
      }
      expect((await call({}, 'GET', '//api/health', undefined, true)).status).toBe(200);
      expect((await call(admin, 'GET', '/%61pi/status', undefined, true)).status).toBe(200);
      expect((await call(admin, 'GET', '//api//spaces//999999', undefined, true)).status).toBe(404);
    });
  });

  describe('2. login, locks and recovery', () => {
    it('a lock is temporary and grows with further failures; failed logins are audited', async () => {
      const id = (await user('tara')).id;
      for (let i = 0; i < 5; i++) expect((await call({}, 'PUT', '/users/login', { name: 'tara', password: 'not-it' })).status).toBe(401);
      const lockOf = () => rt.ctx.store.db.prepare('SELECT failed_login_count, locked_until_datetime_utc AS until FROM users WHERE id = ?').get(id) as { failed_login_count: number; until: string };
      const first = Date.parse(`${lockOf().until}Z`) - Date.now();
      expect(first).toBeGreaterThan(30_000);
      expect(first).toBeLessThanOrEqual(60_000);
      // the lock runs out (moved into the past): the right password works again...
      rt.ctx.store.db.prepare("UPDATE users SET locked_until_datetime_utc = '2000-01-01T00:00:00' WHERE id = ?").run(id);
      // ...but one more failure locks it for twice as long
      expect((await call({}, 'PUT', '/users/login', { name: 'tara', password: 'not-it' })).status).toBe(401);
      const second = Date.parse(`${lockOf().until}Z`) - Date.now();
      expect(second).toBeGreaterThan(90_000);
      expect(second).toBeLessThanOrEqual(120_000);
      rt.ctx.store.db.prepare("UPDATE users SET locked_until_datetime_utc = '2000-01-01T00:00:00' WHERE id = ?").run(id);
      expect((await call({}, 'PUT', '/users/login', { name: 'tara', password: 'tara-Pass-2026' })).status).toBe(200);
      expect(lockOf().failed_login_count).toBe(0);
      const failed = (await rt.api<Row[]>('GET', '/auditlogs?action=login_failed&limit=1000')).body.filter((r) => r.user_name === 'tara');
      expect(failed.length).toBe(6);
    });

    it('a locked-out administrator is recovered from the machine: unlock and reset-password on the data directory', async () => {
      const db = rt.ctx.store.db;
      db.prepare("UPDATE users SET failed_login_count = 9, is_locked = 1, locked_until_datetime_utc = '2999-01-01T00:00:00' WHERE name = 'administrator'").run();
      expect((await call({}, 'PUT', '/users/login', { name: 'administrator', password: 'Switchyard-Test-1' })).status).toBe(401);
      const unlocked = runRecovery(['unlock', '--data-dir', rt.dataDir]);
      expect(unlocked).toEqual({ code: 0, out: 'unlocked: administrator\n' });
      expect((await call({}, 'PUT', '/users/login', { name: 'administrator', password: 'Switchyard-Test-1' })).status).toBe(200);

      const weak = runRecovery(['reset-password', '--data-dir', rt.dataDir, '--user', 'oscar'], { SWITCHYARD_NEW_PASSWORD: 'short' });
      expect(weak.code).toBe(1);
      const reset = runRecovery(['reset-password', '--data-dir', rt.dataDir, '--user', 'oscar'], {});
      expect(reset.code).toBe(0);
      const generated = /\(shown once\): (\S+);/.exec(reset.out)![1];
      expect((await call(operator, 'GET', '/meters')).status).toBe(401); // its sessions ended
      operator = await login('oscar', generated);
      const cli = (await rt.api<Row[]>('GET', '/auditlogs?limit=50')).body.filter((r) => r.user_name === 'cli').map((r) => r.action);
      expect(cli).toEqual(expect.arrayContaining(['user.unlock', 'user.reset_password']));
      expect(runRecovery(['unlock', '--data-dir', `${rt.dataDir}-missing`]).code).toBe(1);
    });
  });

  describe('2. API keys carry their user', () => {
    it("a key acts with its user's role and privilege, or a narrower scope, and the audit names it", async () => {
      const operatorKey = (await create('/apikeys', { name: 'op-key', user_id: ids.operator, expires_datetime_utc: '2099-01-01T00:00:00' })).token!;
      const limitedKey = (await create('/apikeys', { name: 'lena-key', user_id: ids.limited, expires_datetime_utc: '2099-01-01T00:00:00' })).token!;
      const participantsKey = (await create('/apikeys', { name: 'ecosuite', scope: 'participants', expires_datetime_utc: '2099-01-01T00:00:00' })).token!;
      const readKey = (await create('/apikeys', { name: 'reader', scope: 'read-only', expires_datetime_utc: '2099-01-01T00:00:00' })).token!;
      expect((await call({ 'API-Key': operatorKey }, 'GET', '/meters')).status).toBe(200);
      expect((await call({ 'API-Key': operatorKey }, 'POST', '/users', { name: 'evil', display_name: 'e', email: 'e@x.test', password: 'Evil-Pass-2026', is_admin: true })).status).toBe(403);
      expect((await call({ 'API-Key': limitedKey }, 'GET', `/spaces/${ids.south}`)).status).toBe(403);
      expect((await call({ 'API-Key': readKey }, 'GET', '/users')).status).toBe(200);
      expect((await call({ 'API-Key': readKey }, 'POST', '/gateways', { name: 'x' })).status).toBe(403);
      // the participants key: the Ecosuite participants API and nothing else
      expect((await call({ 'API-Key': participantsKey }, 'GET', '/meters')).status).toBe(403);
      expect((await call({ 'API-Key': participantsKey }, 'POST', '/gateways', { name: 'x' })).status).toBe(403);
      const made = await fetch(`${rt.url}/api/dr/participants`, { method: 'POST', headers: { Authorization: participantsKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ code: 'P-1', contactUser: 'Ann', phoneContact: '1' }) });
      expect(made.status).toBe(200);
      const entry = (await rt.api<Row[]>('GET', '/auditlogs?action=dr.participant.create')).body[0];
      expect(entry.user_name).toMatch(/^administrator \(API key ecosuite #\d+\)$/);
    });

    it('keys made before keys had an owner belong to the first administrator (migration)', async () => {
      const { authMigrations } = await import('../../src/core/auth/service');
      const db = rt.ctx.store.db;
      db.pragma('foreign_keys = OFF');
      const id = Number(db.prepare("INSERT INTO api_keys (name, token_hash, token_hint, created_datetime_utc, expires_datetime_utc, user_id) VALUES ('orphan', 'x', 'x', '2025-01-01T00:00:00', '2099-01-01T00:00:00', 424242)").run().lastInsertRowid);
      db.pragma('foreign_keys = ON');
      const up = authMigrations.migrations.find((m) => m.version === 2)!.up;
      db.exec('ALTER TABLE sessions DROP COLUMN last_used_at');
      up(db);
      expect((db.prepare('SELECT user_id FROM api_keys WHERE id = ?').get(id) as { user_id: number }).user_id).toBe(1);
      db.prepare('DELETE FROM api_keys WHERE id = ?').run(id);
    });
  });

  describe('2. passwords and sessions', () => {
    it('new and changed passwords follow the policy', async () => {
      for (const password of ['short-1', 'Password-123!', '1234567890', 'qwerty123456', 'aaaaaaaaaaaa']) {
        const r = await rt.api<Row>('POST', '/users', { name: 'weak', display_name: 'w', email: 'weak@site.test', password });
        expect(r.status, password).toBe(400);
        expect(r.body.field).toBe('password');
      }
      expect((await rt.api<Row>('POST', '/users', { name: 'ursula-longname', display_name: 'u', email: 'ursula@site.test', password: 'Ursula-LongName' })).body.field).toBe('password');
      const self = await call<Row>(viewer, 'PUT', '/users/changepassword', { old_password: 'vera-Pass-2026', new_password: 'welcome12345' });
      expect(self.status).toBe(400);
      expect(self.body.field).toBe('new_password');
      expect((await rt.api<Row>('PUT', '/users/resetpassword', { name: 'vera', password: 'letmein!!!!' })).body.field).toBe('password');
      // a read-only user may change their own password
      expect((await call(viewer, 'PUT', '/users/changepassword', { old_password: 'vera-Pass-2026', new_password: 'Vera-Longer-Phrase-7' })).status).toBe(200);
      viewer = await login('vera', 'Vera-Longer-Phrase-7');
    });

    it('sessions end after the idle time and beyond the per-user limit, both settings', async () => {
      expect((await rt.api<Row>('GET', '/settings/security')).body).toEqual({ session_idle_minutes: 60, sessions_per_user: 10 });
      expect((await call(operator, 'PUT', '/settings/security', { sessions_per_user: 2 })).status).toBe(403);
      expect((await rt.api<Row>('PUT', '/settings/security', { sessions_per_user: 0 })).body.field).toBe('sessions_per_user');
      expect((await rt.api<Row>('PUT', '/settings/security', { session_idle_minutes: 5, sessions_per_user: 2 })).body).toEqual({ session_idle_minutes: 5, sessions_per_user: 2 });
      await user('ivan');
      const s1 = await login('ivan', 'ivan-Pass-2026');
      const s2 = await login('ivan', 'ivan-Pass-2026');
      const s3 = await login('ivan', 'ivan-Pass-2026');
      expect((await call(s1, 'GET', '/meters')).status).toBe(401);
      expect((await call(s2, 'GET', '/meters')).status).toBe(200);
      // idle for six minutes (the session's last use moved back)
      rt.ctx.store.db.prepare("UPDATE sessions SET last_used_at = ? WHERE user_id = (SELECT id FROM users WHERE name = 'ivan')").run(new Date(Date.now() - 6 * 60_000).toISOString());
      expect((await call(s3, 'GET', '/meters')).status).toBe(401);
      expect((await rt.api('PUT', '/settings/security', { session_idle_minutes: 60, sessions_per_user: 10 })).status).toBe(200);
    });
  });
});
