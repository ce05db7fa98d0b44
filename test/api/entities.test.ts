/**
 * Every configuration entity, driven by its own declaration (GET /api/meta/entities): a valid body is built
 * from the field metadata (creating what it references), then create/get/list/update/export/import/clone/
 * delete, bind/unbind of every relation, nested children, and bad input that must be a 400 naming the field
 * and must change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

interface Field {
  name: string;
  type: string;
  required: boolean;
  readOnly?: boolean;
  ref?: string;
  values?: string[];
  min?: number;
  max?: number;
}
interface Meta {
  key: string;
  path: string | null;
  label: string;
  nameField: string | null;
  nestedUnder: { entity: string; field: string; name: string } | null;
  fields: Field[];
  relations: { name: string; target: string; field: string }[];
  export: boolean;
  import: boolean;
  clone: boolean;
}

/** Entities whose rules a generic body cannot satisfy; each has its own tests (auth, alarms, messages). */
const OWN_TESTS = new Set(['users', 'apikeys', 'privileges', 'rules', 'pointalarms', 'webmessages', 'notifications', 'emailmessages', 'textmessages', 'wechatmessages']);

describe('every configuration entity through its generated API', () => {
  let rt: TestRuntime;
  let meta: Meta[];
  const byKey = new Map<string, Meta>();
  let n = 0;

  beforeAll(async () => {
    rt = await startTestRuntime();
    meta = (await rt.api<Meta[]>('GET', '/meta/entities')).body;
    for (const m of meta) byKey.set(m.key, m);
  });
  afterAll(async () => rt?.stop());

  const overrides = async (key: string, parent: Record<string, number>): Promise<Record<string, unknown>> => {
    switch (key) {
      case 'datasources':
        return { protocol: 'simulation', connection: '{"interval_in_seconds":3600}' };
      case 'points':
        return { address: '{"waveform":"constant"}' };
      case 'tariffs':
        return { tariff_type: 'timeofuse', timeofuse: [{ start_time_of_day: '00:00:00', end_time_of_day: '23:59:59', peak_type: 'offpeak', price: 0.2 }] };
      case 'virtualmeters':
        return { expression: { equation: 'x1', variables: [{ name: 'x1', meter_type: 'meter', meter_id: await create('meters') }] } };
      case 'advancedreports':
        return { expression: '{"space_id":1}' };
      case 'equipmentparameters':
      case 'combinedequipmentparameters':
        return { parameter_type: 'constant', constant: '42' };
      case 'energyflowlinks': {
        const diagram = parent.energy_flow_diagram_id;
        const node = async () => (await rt.api<{ id: number }>('POST', `/energyflowdiagrams/${diagram}/nodes`, { name: `node ${++n}` })).body.id;
        return { source_node_id: await node(), target_node_id: await node() };
      }
      case 'emailservers':
        return { from_addr: 'ops@site.example', port: 25 };
      case 'sparkplugnodes':
        return { broker_url: 'mqtt://127.0.0.1:1', is_enabled: false };
      case 'sparkplughosts':
        return { broker_url: 'mqtt://127.0.0.1:1', host_id: `entities-${++n}`, group_ids: 'entities', is_active: false };
      default:
        return {};
    }
  };

  async function value(m: Meta, f: Field, parent: Record<string, number>): Promise<unknown> {
    if (parent[f.name] !== undefined) return parent[f.name];
    switch (f.type) {
      case 'string':
        if (f.name === 'utc_offset') return '+01:00';
        if (f.name === 'simplified_code') return `C${++n}`;
        if (f.name === 'iana_name') return 'Europe/Vienna';
        if (f.name === 'email') return `person${++n}@site.example`;
        if (f.name.endsWith('meter_uuid')) return (await rt.api<{ uuid: string }>('GET', `/meters/${await create('meters')}`)).body.uuid;
        return `${m.key} ${f.name} ${++n}`;
      case 'text':
        return f.name === 'svg' ? '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>' : 'text';
      case 'integer':
      case 'number':
        return f.min !== undefined && f.min > 1 ? f.min : 1;
      case 'boolean':
        return false;
      case 'datetime':
        return f.name.includes('end') || f.name.includes('through') ? '2027-01-01T00:00:00' : '2026-01-01T00:00:00';
      case 'time':
        return f.name.startsWith('end') ? '07:00:00' : '00:00:00';
      case 'date':
        return `2026-03-${String((n++ % 27) + 1).padStart(2, '0')}`;
      case 'enum':
        return f.values![0];
      case 'json':
        return '{}';
      case 'ref':
        return create(f.ref!);
      default:
        return null;
    }
  }

  async function body(key: string, parent: Record<string, number> = {}): Promise<Record<string, unknown>> {
    const m = byKey.get(key)!;
    const out: Record<string, unknown> = {};
    const extra = await overrides(key, parent);
    for (const f of m.fields) {
      if (f.readOnly || (!f.required && parent[f.name] === undefined)) continue;
      if (f.name in extra) continue;
      out[f.name] = await value(m, f, parent);
    }
    return { ...out, ...extra };
  }

  /** Creates a row of `key` (and what it needs); answers its id. */
  async function create(key: string): Promise<number> {
    const m = byKey.get(key)!;
    if (m.path) {
      const r = await rt.api<{ id: number }>('POST', `/${m.path}`, await body(key));
      if (r.status !== 201) throw new Error(`create ${key}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id;
    }
    const nest = m.nestedUnder!;
    const pid = await create(nest.entity);
    const r = await rt.api<{ id: number }>('POST', `/${byKey.get(nest.entity)!.path}/${pid}/${nest.name}`, await body(key, { [nest.field]: pid }));
    if (r.status !== 201) throw new Error(`create ${key}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  it('declares every entity of the MyEMS document', () => {
    const paths = new Set(meta.map((m) => m.path).filter(Boolean));
    for (const p of [
      'gateways', 'datasources', 'protocols', 'points', 'meters', 'virtualmeters', 'offlinemeters', 'sensors', 'spaces', 'equipments', 'combinedequipments', 'tenants', 'tenanttypes', 'stores', 'storetypes',
      'shopfloors', 'energycategories', 'energyitems', 'costcenters', 'tariffs', 'contacts', 'commands', 'rules', 'svgs', 'distributionsystems', 'distributioncircuits', 'energyflowdiagrams', 'microgrids',
      'microgridbatteries', 'microgridevchargers', 'microgridgenerators', 'microgridgrids', 'microgridheatpumps', 'microgridloads', 'microgridphotovoltaics', 'microgridpowerconversionsystems',
      'microgridschedules', 'energystoragecontainers', 'energystoragepowerstations', 'virtualpowerplants', 'photovoltaicpowerstations', 'windfarms', 'workingcalendars', 'nonworkingdays', 'timezones',
      'menus', 'privileges', 'apikeys', 'advancedreports', 'emailservers', 'users',
    ]) expect(paths, p).toContain(p);
  });

  it('creates, reads, lists, updates, exports, imports, clones and deletes every top-level entity', { timeout: 180_000 }, async () => {
    for (const m of meta.filter((x) => x.path && !OWN_TESTS.has(x.key))) {
      const data = await body(m.key);
      const created = await rt.api<{ id: number }>('POST', `/${m.path}`, data);
      expect(created.status, `${m.key} create: ${JSON.stringify(created.body)}`).toBe(201);
      const id = created.body.id;
      const got = await rt.api<Record<string, unknown>>('GET', `/${m.path}/${id}`);
      expect(got.status, m.key).toBe(200);
      expect(got.body.id).toBe(id);
      const list = await rt.api<{ id: number }[]>('GET', `/${m.path}`);
      expect(list.body.some((r) => r.id === id), `${m.key} list`).toBe(true);
      const changed = m.nameField ? { ...data, [m.nameField]: `${String(data[m.nameField] ?? m.key)} renamed` } : data;
      const updated = await rt.api('PUT', `/${m.path}/${id}`, changed);
      expect(updated.status, `${m.key} update: ${JSON.stringify(updated.body)}`).toBe(200);
      if (m.nameField) expect((await rt.api<Record<string, unknown>>('GET', `/${m.path}/${id}`)).body[m.nameField]).toBe(changed[m.nameField]);
      if (m.export) {
        const exported = await rt.api<Record<string, unknown>>('GET', `/${m.path}/${id}/export`);
        expect(exported.status, `${m.key} export`).toBe(200);
        if (m.import) {
          // generated strings (names, unique codes) get new values so the import does not collide with the original
          const again: Record<string, unknown> = { ...exported.body };
          for (const f of m.fields) {
            if (typeof data[f.name] === 'string' && String(data[f.name]).startsWith(`${m.key} `)) again[f.name] = `${String(data[f.name])} imported`;
            if (f.type === 'date') again[f.name] = '2026-12-24';
          }
          const imported = await rt.api<{ id: number }>('POST', `/${m.path}/import`, again);
          expect(imported.status, `${m.key} import: ${JSON.stringify(imported.body)}`).toBe(201);
        }
      }
      if (m.clone) {
        const clone = await rt.api<{ id: number }>('POST', `/${m.path}/${id}/clone`);
        expect(clone.status, `${m.key} clone: ${JSON.stringify(clone.body)}`).toBe(201);
        expect((await rt.api('DELETE', `/${m.path}/${clone.body.id}`)).status, `${m.key} delete clone`).toBe(204);
      }
      const del = await rt.api('DELETE', `/${m.path}/${id}`);
      expect(del.status, `${m.key} delete: ${JSON.stringify(del.body)}`).toBe(204);
      expect((await rt.api('GET', `/${m.path}/${id}`)).status).toBe(404);
    }
  });

  it('creates nested children under their parent', { timeout: 180_000 }, async () => {
    for (const m of meta.filter((x) => x.nestedUnder && !OWN_TESTS.has(x.key))) {
      const nest = m.nestedUnder!;
      const parentPath = byKey.get(nest.entity)!.path;
      const pid = await create(nest.entity);
      const r = await rt.api<{ id: number }>('POST', `/${parentPath}/${pid}/${nest.name}`, await body(m.key, { [nest.field]: pid }));
      expect(r.status, `${m.key}: ${JSON.stringify(r.body)}`).toBe(201);
      const list = await rt.api<{ id: number }[]>('GET', `/${parentPath}/${pid}/${nest.name}`);
      expect(list.body.map((x) => x.id), m.key).toContain(r.body.id);
      expect((await rt.api('DELETE', `/${parentPath}/${pid}/${nest.name}/${r.body.id}`)).status, `${m.key} delete`).toBe(204);
    }
  });

  it('binds and unbinds every relation', { timeout: 180_000 }, async () => {
    for (const m of meta.filter((x) => x.path && x.relations.length && !OWN_TESTS.has(x.key))) {
      const id = await create(m.key);
      for (const rel of m.relations) {
        if (OWN_TESTS.has(rel.target)) continue;
        const target = await create(rel.target);
        const bound = await rt.api('POST', `/${m.path}/${id}/${rel.name}`, { [rel.field]: target });
        expect(bound.status, `${m.key}/${rel.name}: ${JSON.stringify(bound.body)}`).toBe(201);
        const again = await rt.api<{ field: string }>('POST', `/${m.path}/${id}/${rel.name}`, { [rel.field]: target });
        expect(again.status, `${m.key}/${rel.name} twice`).toBe(400);
        const listed = await rt.api<{ id: number }[]>('GET', `/${m.path}/${id}/${rel.name}`);
        expect(listed.body.map((x) => x.id), `${m.key}/${rel.name}`).toContain(target);
        expect((await rt.api('DELETE', `/${m.path}/${id}/${rel.name}/${target}`)).status).toBe(204);
        expect((await rt.api<unknown[]>('GET', `/${m.path}/${id}/${rel.name}`)).body).toHaveLength(0);
      }
    }
  });

  it('answers bad input with a 400 naming the field, and writes nothing', { timeout: 180_000 }, async () => {
    for (const m of meta.filter((x) => x.path && !OWN_TESTS.has(x.key))) {
      const data = await body(m.key);
      const count = async () => (await rt.api<unknown[]>('GET', `/${m.path}`)).body.length;
      const before = await count();
      const required = m.fields.find((f) => f.required && !f.readOnly);
      if (required) {
        const { [required.name]: _dropped, ...missing } = data;
        const r = await rt.api<{ title: string; description: string; field: string }>('POST', `/${m.path}`, missing);
        expect(r.status, `${m.key} without ${required.name}`).toBe(400);
        expect(r.body.field, `${m.key} names ${required.name}: ${JSON.stringify(r.body)}`).toBe(required.name);
        expect(r.body.title).toBe('API.BAD_REQUEST');
      }
      const numeric = m.fields.find((f) => (f.type === 'number' || f.type === 'integer') && !f.readOnly);
      if (numeric) {
        const r = await rt.api<{ field: string }>('POST', `/${m.path}`, { ...data, [numeric.name]: 'not a number' });
        expect(r.status, `${m.key} ${numeric.name} wrong type`).toBe(400);
        expect(r.body.field, `${m.key}: ${JSON.stringify(r.body)}`).toBe(numeric.name);
      }
      const reference = m.fields.find((f) => f.type === 'ref' && !f.readOnly && f.name in data);
      if (reference) {
        const r = await rt.api<{ field: string }>('POST', `/${m.path}`, { ...data, [reference.name]: 99_999_999 });
        expect([400, 404], `${m.key} unknown ${reference.name}`).toContain(r.status);
        expect(r.body.field, `${m.key}: ${JSON.stringify(r.body)}`).toBe(reference.name);
      }
      const notJson = await fetch(`${rt.url}/api/${m.path}`, { method: 'POST', headers: rt.headers, body: '{"data": {' });
      expect(notJson.status, `${m.key} broken JSON`).toBe(400);
      expect(await count(), `${m.key}: a failed write left a row`).toBe(before);
    }
  });

  it('refuses to delete what is still referenced', async () => {
    const ds = await create('datasources');
    const p = await rt.api<{ id: number }>('POST', '/points', { ...(await body('points')), data_source_id: ds });
    expect(p.status).toBe(201);
    const r = await rt.api<{ description: string }>('DELETE', `/datasources/${ds}`);
    expect(r.status).toBe(400);
    expect(r.body.description).toMatch(/THERE_IS_RELATION_WITH_POINTS/);
  });
});
