import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, login, serve, type Served } from '../support/process';
import { waitFor } from '../support/runtime';

/** The OpenADR 3 VTN in the server as it ships (a child process): a VEN's token, registration, notifications, writes. */
describe('OpenADR 3 in the shipped server', () => {
  let served: Served | undefined;
  let dir = '';
  afterAll(async () => {
    await served?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a VEN gets a token with Basic credentials, registers, subscribes and is notified of an event aimed at it', async () => {
    const got: { auth: string; body: { objectType: string; operation: string; object: { id: string; intervals: unknown[] } } }[] = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ auth: String(req.headers.authorization), body: JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    try {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-openadr-'));
      served = await serve(['--port', String(await freePort()), '--data-dir', dir, '--empty'], { SWITCHYARD_ADMIN_PASSWORD: 'Openadr#123' }, 90_000);
      const { headers } = await login(served.url, 'administrator', 'Openadr#123');
      const admin = async <T>(method: string, route: string, data?: unknown) => (await (await fetch(`${served!.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) })).json()) as T;
      const program = await admin<{ id: number }>('POST', '/dr/programs', { name: 'Peak' });
      const partner = await admin<{ id: number; client_id: string; api_key: string }>('POST', '/dr/partners', { name: 'VEN one' });
      await admin('PUT', `/dr/programs/${program.id}/partners`, { partner_ids: [partner.id] });

      const base = `${served.url}/api/openadr/3`;
      const server = (await (await fetch(`${base}/auth/server`)).json()) as { tokenURL: string };
      const tokenRes = await fetch(server.tokenURL, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${partner.client_id}:${partner.api_key}`).toString('base64')}` }, body: 'grant_type=client_credentials' });
      expect(tokenRes.status).toBe(200);
      const token = ((await tokenRes.json()) as { access_token: string }).access_token;
      const ven = async <T>(method: string, route: string, body?: unknown) => {
        const r = await fetch(`${base}${route}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
        return { status: r.status, body: (await r.json()) as T };
      };
      expect((await ven<unknown[]>('GET', '/programs')).body).toHaveLength(1);
      const v = await ven<{ id: string }>('POST', '/vens', { objectType: 'VEN_VEN_REQUEST', venName: 'ven-one' });
      expect(v.status).toBe(201);
      const res = await ven<{ id: string }>('POST', '/resources', { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'heat-pump', venID: v.body.id });
      expect(res.status).toBe(201);
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/cb`;
      expect((await ven('POST', '/subscriptions', { clientName: 'ven-one', objectOperations: [{ objects: ['EVENT', 'RESOURCE', 'VEN'], operations: ['CREATE', 'UPDATE', 'DELETE'], callbackUrl: url, bearerToken: 'cb-secret' }] })).status).toBe(201);

      const rid = (await admin<{ id: number; resource_id: string }[]>('GET', '/dr/resources')).find((r) => r.resource_id === 'heat-pump')!.id;
      const e = await admin<{ uuid: string }>('POST', '/dr/events', { name: 'Shed', program_id: program.id, target_resources: [rid], interval_period: { start: '2030-01-01T16:00:00Z', duration: 'PT1H' }, payload: { type: 'SIMPLE', value: 1 }, status: 'scheduled' });
      await waitFor(() => got.length > 0, 'the notification', 30_000);
      expect(got[0].auth).toBe('Bearer cb-secret');
      expect(got[0].body).toMatchObject({ objectType: 'EVENT', operation: 'CREATE', object: { id: e.uuid, intervals: [{ id: 0, payloads: [{ type: 'SIMPLE', values: [1] }] }] } });
      expect((await ven<{ id: string }[]>('GET', '/events')).body.map((x) => x.id)).toEqual([e.uuid]);
      // writes: the VEN updates its resource and unregisters; each change is notified to it
      expect((await ven('PUT', `/resources/${res.body.id}`, { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'heat-pump', venID: v.body.id, attributes: [{ type: 'MAX_POWER_CONSUMPTION', values: [3] }] })).status).toBe(200);
      expect((await ven('DELETE', `/vens/${v.body.id}`)).status).toBe(200);
      expect((await ven('GET', '/resources')).body).toEqual([]);
      await waitFor(() => got.length >= 4, 'the notifications of the writes', 30_000);
      expect(got.map((g) => `${g.body.objectType} ${g.body.operation}`).sort()).toEqual(['EVENT CREATE', 'RESOURCE DELETE', 'RESOURCE UPDATE', 'VEN DELETE']);
    } finally {
      await new Promise<void>((r) => hook.close(() => r()));
    }
  }, 180_000);
});
