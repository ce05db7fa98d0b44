/**
 * MyEMS scripts run unchanged: a fresh store has MyEMS's root space (id 1) and time-zone table (MyEMS's ids, each
 * with its IANA zone), so the document's POST /spaces with parent_space_id 1 and timezone_id 56 works as written;
 * deleting a space, tenant, store, shopfloor, equipment, combined equipment, virtual power plant, storage power
 * station or container removes its own bindings with it (each audited) and still refuses what MyEMS refuses;
 * qrcode where MyEMS answers it; GET /api/version in MyEMS's shape; an older store completed by a migration that
 * keeps its ids and references.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_FILE } from '../../src/core/store/store';
import { entityMaker } from '../support/maker';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

interface Zone {
  id: number;
  name: string;
  description: string;
  utc_offset: string;
  iana_name: string;
}
interface Space {
  id: number;
  name: string;
  uuid: string;
  parent_space_id: number | null;
  timezone_id: number;
  timezone: { id: number; name: string; utc_offset: string; iana_name: string };
  qrcode: string;
}
interface Audit {
  action: string;
  target: string;
  old_value: string | null;
  result: string;
}

/** The nine kinds whose own bindings MyEMS deletes with them (its core/*.py on_delete handlers). */
const DELETES_BINDINGS = ['spaces', 'stores', 'tenants', 'shopfloors', 'equipments', 'combinedequipments', 'virtualpowerplants', 'energystoragepowerstations', 'energystoragecontainers'];

describe('MyEMS compatibility of a fresh store', () => {
  let rt: TestRuntime;
  let maker: Awaited<ReturnType<typeof entityMaker>>;

  beforeAll(async () => {
    rt = await startTestRuntime();
    maker = await entityMaker(rt);
  });
  afterAll(async () => rt?.stop());

  it("has MyEMS's time-zone table with MyEMS's ids, each mapped to an IANA zone that gives DST-correct local time", async () => {
    const zones = (await rt.api<Zone[]>('GET', '/timezones')).body;
    expect(zones.map((z) => z.id)).toEqual(Array.from({ length: 93 }, (_, i) => i + 1));
    expect(zones.find((z) => z.id === 56)).toMatchObject({ name: 'China Standard Time', utc_offset: '+08:00', iana_name: 'Asia/Shanghai' });
    expect(zones.find((z) => z.id === 31)).toMatchObject({ name: 'W. Europe Standard Time', utc_offset: '+01:00', iana_name: 'Europe/Berlin' });
    expect(zones.find((z) => z.id === 91)).toMatchObject({ name: 'UTC', utc_offset: '+00:00' });
    for (const z of zones) expect(DateTime.now().setZone(z.iana_name).isValid, `${z.id} ${z.name}: ${z.iana_name}`).toBe(true);
    // DST from the IANA zone: Berlin is +01:00 in January and +02:00 in July; Shanghai +08:00 all year
    const offset = (zone: string, iso: string) => DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone).toFormat('ZZ');
    expect([offset('Europe/Berlin', '2026-01-15T12:00:00'), offset('Europe/Berlin', '2026-07-15T12:00:00')]).toEqual(['+01:00', '+02:00']);
    expect([offset('Asia/Shanghai', '2026-01-15T12:00:00'), offset('Asia/Shanghai', '2026-07-15T12:00:00')]).toEqual(['+08:00', '+08:00']);
    // where MyEMS's zone keeps one offset all year, its utc_offset is what the IANA zone gives in January
    for (const id of [3, 13, 26, 31, 49, 56, 62, 66]) {
      const z = zones.find((x) => x.id === id)!;
      expect(offset(z.iana_name, '2026-01-15T12:00:00'), `${z.name}`).toBe(id === 66 ? '+11:00' : z.utc_offset); // Sydney is on summer time in January
    }
  });

  it('has the root space (id 1), which cannot be deleted or given a parent, and shows its zone and qrcode as MyEMS does', async () => {
    const root = (await rt.api<Space>('GET', '/spaces/1')).body;
    expect(root).toMatchObject({ id: 1, parent_space_id: null });
    expect(root.qrcode).toBe(`space:${root.uuid}`);
    expect(root.timezone).toMatchObject({ id: root.timezone_id });
    expect(Object.keys(root.timezone)).toEqual(expect.arrayContaining(['id', 'name', 'utc_offset', 'iana_name']));
    const del = await rt.api<{ description: string }>('DELETE', '/spaces/1');
    expect(del.status).toBe(400);
    expect(del.body.description).toBe('API.THIS_SPACE_CANNOT_BE_DELETED');
    const child = await maker.make('spaces', { parent_space_id: null });
    const moved = await rt.api<{ field: string }>('PUT', '/spaces/1', { name: root.name, area: 1, timezone_id: root.timezone_id, parent_space_id: child });
    expect(moved.status).toBe(400);
    expect(moved.body.field).toBe('parent_space_id');
    expect((await rt.api<Space>('GET', '/spaces/1')).body.parent_space_id).toBeNull();
  });

  it("accepts the document's POST /spaces as written: parent_space_id 1, timezone_id 56", async () => {
    // the document's contact 1 and cost center 1 are the first ones a fresh install gets
    const fresh = await startTestRuntime();
    try {
      expect((await fresh.api<{ id: number }>('POST', '/contacts', { name: 'Site contact', email: 'site@example.com', phone: '+86 10 0000' })).body.id).toBe(1);
      expect((await fresh.api<{ id: number }>('POST', '/costcenters', { name: 'Site cost center', external_id: 'CC1' })).body.id).toBe(1);
      const doc = JSON.parse(
        '{"data":{"name":"MyEMSSpace", "parent_space_id":1, "area":999.99, "timezone_id":56, "is_input_counted":true, "is_output_counted":false, "contact_id":1, "cost_center_id":1, "latitude":39.909429, "longitude":116.416993, "description":"Space description"}}',
      ) as { data: Record<string, unknown> };
      const r = await fresh.api<{ id: number }>('POST', '/spaces', doc.data);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const space = (await fresh.api<Space>('GET', `/spaces/${r.body.id}`)).body;
      expect(space).toMatchObject({ parent_space_id: 1, timezone_id: 56, timezone: { id: 56, name: 'China Standard Time', utc_offset: '+08:00', iana_name: 'Asia/Shanghai' } });
    } finally {
      await fresh.stop();
    }
  });

  it('deleting a space removes its bindings with it, each audited in the same transaction; the bound rows stay', async () => {
    const space = await maker.make('spaces', { parent_space_id: 1 });
    const meter = await maker.make('meters');
    const point = await maker.make('points');
    const equipment = await maker.make('equipments');
    for (const [rel, body] of [
      ['meters', { meter_id: meter }],
      ['points', { point_id: point }],
      ['equipments', { equipment_id: equipment }],
    ] as const) {
      expect((await rt.api('POST', `/spaces/${space}/${rel}`, body)).status).toBe(201);
    }
    const r = await rt.api('DELETE', `/spaces/${space}`);
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect((await rt.api('GET', `/spaces/${space}`)).status).toBe(404);
    for (const [p, id] of [['meters', meter], ['points', point], ['equipments', equipment]] as const) expect((await rt.api('GET', `/${p}/${id}`)).status).toBe(200);
    expect(rt.ctx.store.db.prepare('SELECT COUNT(*) AS n FROM rel_spaces_meters WHERE owner_id = ?').get(space)).toEqual({ n: 0 });
    const audit = (await rt.api<Audit[]>('GET', '/auditlogs?action=config.')).body.filter(
      (a) => (a.action === 'config.delete' || a.action === 'config.unbind') && (a.target === `spaces:${space}` || a.target.startsWith(`spaces:${space}/`)),
    );
    expect(audit.map((a) => `${a.action} ${a.target}`).sort()).toEqual(
      [`config.delete spaces:${space}`, `config.unbind spaces:${space}/equipments/${equipment}`, `config.unbind spaces:${space}/meters/${meter}`, `config.unbind spaces:${space}/points/${point}`].sort(),
    );
    // the equipment, no longer bound to a space, can go now
    expect((await rt.api('DELETE', `/equipments/${equipment}`)).status).toBe(204);
  });

  it('keeps refusing what MyEMS refuses: a space with child spaces, a row bound by another one; and then removes nothing', async () => {
    const parent = await maker.make('spaces', { parent_space_id: 1 });
    await maker.make('spaces', { parent_space_id: parent });
    const meter = await maker.make('meters');
    expect((await rt.api('POST', `/spaces/${parent}/meters`, { meter_id: meter })).status).toBe(201);
    const refused = await rt.api<{ description: string }>('DELETE', `/spaces/${parent}`);
    expect(refused.status).toBe(400);
    expect(refused.body.description).toBe('API.THERE_IS_RELATION_WITH_CHILDREN_SPACES');
    expect((await rt.api<{ id: number }[]>('GET', `/spaces/${parent}/meters`)).body.map((m) => m.id)).toEqual([meter]);

    // an equipment bound into a space is refused (MyEMS: THERE_IS_RELATION_WITH_SPACES), its own meter binding kept
    const equipment = await maker.make('equipments');
    const own = await maker.make('meters');
    expect((await rt.api('POST', `/equipments/${equipment}/meters`, { meter_id: own, is_output: false })).status).toBe(201);
    expect((await rt.api('POST', `/spaces/${parent}/equipments`, { equipment_id: equipment })).status).toBe(201);
    const before = (await rt.api<Audit[]>('GET', '/auditlogs?action=config.unbind')).body.length;
    const bound = await rt.api<{ description: string }>('DELETE', `/equipments/${equipment}`);
    expect(bound.status).toBe(400);
    expect(bound.body.description).toBe('API.THERE_IS_RELATION_WITH_SPACES');
    expect((await rt.api<{ id: number }[]>('GET', `/equipments/${equipment}/meters`)).body.map((m) => m.id)).toEqual([own]);
    expect((await rt.api<Audit[]>('GET', '/auditlogs?action=config.unbind')).body.length).toBe(before);
  });

  it('deletes each of the nine kinds with its bindings, and a clone of it, as MyEMS does', async () => {
    for (const key of DELETES_BINDINGS) {
      const m = maker.meta.get(key)!;
      expect(m.deleteBindings, key).toBe(true);
      expect(m.relations.length, `${key} has bindings`).toBeGreaterThan(0);
      const id = await maker.make(key);
      const bound: string[] = [];
      for (const rel of m.relations) {
        const target = await maker.make(rel.target);
        const r = await rt.api('POST', `/${m.path}/${id}/${rel.name}`, { [rel.field]: target, is_output: false });
        expect(r.status, `${key}/${rel.name}: ${JSON.stringify(r.body)}`).toBe(201);
        bound.push(`${rel.name}/${target}`);
      }
      // a clone carries the bindings; it is deletable like the original
      const clone = await rt.api<{ id: number }>('POST', `/${m.path}/${id}/clone`);
      expect(clone.status, `${key} clone: ${JSON.stringify(clone.body)}`).toBe(201);
      for (const rowId of [clone.body.id, id]) {
        const r = await rt.api('DELETE', `/${m.path}/${rowId}`);
        expect(r.status, `DELETE /${m.path}/${rowId}: ${JSON.stringify(r.body)}`).toBe(204);
        expect((await rt.api('GET', `/${m.path}/${rowId}`)).status).toBe(404);
      }
      const unbound = (await rt.api<Audit[]>('GET', '/auditlogs?action=config.unbind')).body.map((a) => a.target);
      for (const b of bound) expect(unbound, key).toContain(`${key}:${id}/${b}`);
    }
  });

  it('answers qrcode where MyEMS does: meters, spaces, equipment, combined equipment, tenants, stores, shopfloors', async () => {
    const prefix: Record<string, string> = { meters: 'meter', spaces: 'space', equipments: 'equipment', combinedequipments: 'combinedequipment', tenants: 'tenant', stores: 'store', shopfloors: 'shopfloor' };
    for (const [key, p] of Object.entries(prefix)) {
      const id = await maker.make(key);
      const one = (await rt.api<{ uuid: string; qrcode: string }>('GET', `/${key}/${id}`)).body;
      expect(one.qrcode, key).toBe(`${p}:${one.uuid}`);
      const listed = (await rt.api<{ id: number; qrcode: string }[]>('GET', `/${key}`)).body.find((r) => r.id === id)!;
      expect(listed.qrcode).toBe(one.qrcode);
    }
  });

  it("answers GET /api/version in MyEMS's shape, to signed-in clients", async () => {
    const v = await rt.api<Record<string, string>>('GET', '/version');
    expect(v.status).toBe(200);
    expect(Object.keys(v.body).sort()).toEqual(['licensed-to', 'release-date', 'version', 'website']);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(v.body.version).toBe(`Switchyard v${pkg.version}`);
    expect(v.body['release-date']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(v.body.website).toBe(rt.url);
    expect((await fetch(`${rt.url}/api/version`)).status).toBe(401);
  });
});

describe('an older store gets MyEMS time zones and root space by migration, keeping its ids and references', () => {
  it('completes the zone table around the ids already taken, and adds the root space where id 1 is free', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-myems-migrate-'));
    try {
      const first = await startTestRuntime({ dataDir });
      await first.runtime.stop();
      // the shape of a store from before: its own zones (IANA names, ids 1..), spaces referencing them, no root
      const db = new Database(path.join(dataDir, STORE_FILE));
      db.exec(`DELETE FROM spaces; DELETE FROM timezones; DELETE FROM sqlite_sequence WHERE name IN ('spaces', 'timezones');
        INSERT INTO timezones (id, name, description, utc_offset, iana_name) VALUES
          (1, 'Pacific/Honolulu', '(GMT-10:00) Hawaii', '-10:00', 'Pacific/Honolulu'),
          (16, 'Europe/Berlin', '(GMT+01:00) Berlin', '+01:00', 'Europe/Berlin');
        INSERT INTO spaces (id, uuid, name, parent_space_id, area, timezone_id, is_input_counted, is_output_counted) VALUES
          (2, 'c0ffee00-0000-4000-8000-000000000002', 'Demo Campus', NULL, 12000, 16, 1, 0),
          (3, 'c0ffee00-0000-4000-8000-000000000003', 'Building A', 2, 4000, 16, 1, 0);
        DELETE FROM schema_migrations WHERE feature = 'myems-defaults';`);
      db.close();

      const again = await startTestRuntime({ dataDir });
      try {
        const zones = (await again.api<Zone[]>('GET', '/timezones')).body;
        expect(zones).toHaveLength(2 + 93);
        // the store's own rows and the spaces that use them are untouched
        expect(zones.find((z) => z.id === 1)).toMatchObject({ name: 'Pacific/Honolulu' });
        expect(zones.find((z) => z.id === 16)).toMatchObject({ name: 'Europe/Berlin' });
        expect((await again.api<Space>('GET', '/spaces/3')).body).toMatchObject({ name: 'Building A', parent_space_id: 2, timezone_id: 16 });
        // MyEMS's zones sit at MyEMS's ids where free, after the last one where taken
        expect(zones.find((z) => z.id === 56)).toMatchObject({ name: 'China Standard Time', iana_name: 'Asia/Shanghai' });
        expect(zones.find((z) => z.id === 31)).toMatchObject({ name: 'W. Europe Standard Time' });
        expect(zones.find((z) => z.name === 'Dateline Standard Time')!.id).toBeGreaterThan(93);
        expect(zones.find((z) => z.name === 'Atlantic Standard Time')!.id).toBeGreaterThan(93);
        // the root space where id 1 was free; the document's example works on the upgraded store too
        expect((await again.api<Space>('GET', '/spaces/1')).body).toMatchObject({ id: 1, parent_space_id: null });
        const cc = (await again.api<{ id: number }>('POST', '/costcenters', { name: 'CC', external_id: 'X' })).body.id;
        const r = await again.api('POST', '/spaces', { name: 'MyEMSSpace', parent_space_id: 1, area: 999.99, timezone_id: 56, is_input_counted: true, is_output_counted: false, cost_center_id: cc });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
      } finally {
        await again.stop();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the demo plant sits under the root space', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ seed: 'demo' });
  });
  afterAll(async () => rt?.stop());

  it("puts the campus under space 1, which takes the site's zone", async () => {
    const spaces = (await rt.api<Space[]>('GET', '/spaces')).body;
    expect(spaces.filter((s) => s.parent_space_id === null).map((s) => s.id)).toEqual([1]);
    const campus = spaces.find((s) => s.name === 'Demo Campus')!;
    expect(campus.parent_space_id).toBe(1);
    expect(spaces.find((s) => s.id === 1)!.timezone.iana_name).toBe('Europe/Berlin');
  });
});
