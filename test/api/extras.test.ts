/** The API's special routes: point limits, the space tree, menus, uploaded files. */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

describe('special routes of the MyEMS API', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt?.stop());

  it('PUT /pointlimits/{id} changes the limits and nothing else', async () => {
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'GW' })).body.id;
    const ds = (await rt.api<{ id: number }>('POST', '/datasources', { name: 'Sim', gateway_id: gw, protocol: 'simulation', connection: '{}' })).body.id;
    const p = (await rt.api<{ id: number }>('POST', '/points', { name: 'P', data_source_id: ds, object_type: 'ANALOG_VALUE', units: 'kW', ratio: 1, address: '{"waveform":"constant"}' })).body.id;
    const r = await rt.api<Record<string, unknown>>('PUT', `/pointlimits/${p}`, { name: 'ignored', ratio: 100, high_limit: 50, low_limit: -5, higher_limit: 60, lower_limit: -10 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'P', ratio: 1, high_limit: 50, low_limit: -5, higher_limit: 60, lower_limit: -10 });
    const bad = await rt.api<{ field: string }>('PUT', `/pointlimits/${p}`, { high_limit: 'high' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('high_limit');
  });

  it('answers the space tree', async () => {
    const tz = (await rt.api<{ id: number }[]>('GET', '/timezones')).body[0].id;
    const root = (await rt.api<{ id: number }>('POST', '/spaces', { name: 'Site', area: 10, timezone_id: tz })).body.id;
    const child = (await rt.api<{ id: number }>('POST', '/spaces', { name: 'Hall', area: 5, timezone_id: tz, parent_space_id: root })).body.id;
    const tree = (await rt.api<{ id: number; children: { id: number }[] }[]>('GET', '/spaces/tree')).body;
    expect(tree.find((n) => n.id === root)?.children.map((c) => c.id)).toEqual([child]);
  });

  it('lists the visible menus for the navigation, and hides one', async () => {
    const menus = (await rt.api<{ id: number; name: string }[]>('GET', '/menus')).body;
    const dr = menus.find((m) => m.name === 'Demand response')!;
    expect((await rt.api('PUT', `/menus/${dr.id}`, { is_hidden: true })).status).toBe(200);
    const web = (await rt.api<{ name: string }[]>('GET', '/menus/web')).body;
    expect(web.map((m) => m.name)).toContain('Trends');
    expect(web.map((m) => m.name)).not.toContain('Demand response');
  });

  it('uploads, lists, gets, downloads, restores and deletes files', async () => {
    const form = new FormData();
    const bytes = new Uint8Array([0, 1, 2, 250, 13, 10, 45, 45]);
    form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'manual.pdf');
    const { 'Content-Type': _json, ...auth } = rt.headers;
    const up = await fetch(`${rt.url}/api/knowledgefiles`, { method: 'POST', headers: auth, body: form });
    const file = (await up.json()) as { id: number; file_name: string; size: number; user_display_name: string };
    expect(up.status).toBe(201);
    expect(file).toMatchObject({ file_name: 'manual.pdf', size: bytes.length, user_display_name: 'administrator' });
    expect((await rt.api<{ id: number }[]>('GET', '/knowledgefiles')).body.map((f) => f.id)).toEqual([file.id]);
    expect((await rt.api<unknown[]>('GET', '/costfiles')).body).toEqual([]);
    const down = await fetch(`${rt.url}/api/knowledgefiles/${file.id}/download`, { headers: auth });
    expect(new Uint8Array(await down.arrayBuffer())).toEqual(bytes);
    const restored = await rt.api<{ restored_path: string }>('GET', `/knowledgefiles/${file.id}/restore`);
    expect(fs.readFileSync(restored.body.restored_path)).toEqual(Buffer.from(bytes));
    // raw body with a name; a path in the name is cut to its base name
    const raw = await fetch(`${rt.url}/api/datareapirfiles?file_name=${encodeURIComponent('../../etc/repair.csv')}`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: 'a,b\n1,2\n' });
    expect(raw.status).toBe(201);
    expect(((await raw.json()) as { file_name: string }).file_name).toBe('repair.csv');
    const empty = await fetch(`${rt.url}/api/costfiles`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: '' });
    expect(empty.status).toBe(400);
    expect((await rt.api('DELETE', `/knowledgefiles/${file.id}`)).status).toBe(204);
    expect((await rt.api('GET', `/knowledgefiles/${file.id}`)).status).toBe(404);
  });
});
