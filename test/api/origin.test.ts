/**
 * A local API no web page can reach: a DNS-rebinding request (Host: evil.example) and a cross-site form post
 * (Origin: http://evil.example, text/plain) are refused and change nothing; the UI's own origin, IP literals,
 * localhost and clients that are not browsers keep working; WebSocket upgrades from another site are refused;
 * security headers are on every answer. Raw HTTP (node:http) because fetch may not set Host or Origin.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { allowedHostNames, isAllowedHost } from '../../src/core/api/origin';
import { ADMIN_PASSWORD, startTestRuntime, type TestRuntime } from '../support/runtime';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('Host and Origin checks', () => {
  let rt: TestRuntime;
  let port: number;
  const request = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers: { ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const loginBody = JSON.stringify({ data: { name: 'administrator', password: ADMIN_PASSWORD } });
  const sessions = () => (rt.ctx.store.db.prepare('SELECT COUNT(*) AS n FROM audit_log WHERE action = ?').get('login') as { n: number }).n;

  beforeAll(async () => {
    rt = await startTestRuntime();
    port = Number(new URL(rt.url).port);
  });
  afterAll(async () => rt?.stop());

  it('accepts IP literals, localhost and configured names in Host; nothing else', () => {
    const names = allowedHostNames({ listenHost: '127.0.0.1', allowedHosts: ['scada.plant.local'] });
    for (const ok of ['127.0.0.1:8787', 'localhost:8787', 'LOCALHOST', '[::1]:8787', '10.0.0.5', 'scada.plant.local:443', 'app.localhost']) expect(isAllowedHost(ok, names), ok).toBe(true);
    for (const bad of ['evil.example', 'evil.example:8787', '127.0.0.1.evil.example', 'localhost.evil.example', '', undefined]) expect(isAllowedHost(bad, names), String(bad)).toBe(false);
  });

  it('refuses a DNS-rebinding request (Host: evil.example), even to public routes', async () => {
    const before = sessions();
    const health = await request('GET', '/api/health', { Host: `evil.example:${port}` });
    expect(health.status).toBe(403);
    expect(JSON.parse(health.body).description).toBe('API.HOST_NOT_ALLOWED');
    const login = await request('PUT', '/api/users/login', { Host: `evil.example:${port}`, 'Content-Type': 'application/json' }, loginBody);
    expect(login.status).toBe(403);
    expect(sessions()).toBe(before);
    expect((await request('GET', '/api/health', { Host: `localhost:${port}` })).status).toBe(200);
    expect((await request('GET', '/api/health', { Host: `127.0.0.1:${port}` })).status).toBe(200);
  });

  it('refuses a cross-site form post (Origin: http://evil.example, text/plain) and changes nothing', async () => {
    const before = sessions();
    const login = await request('PUT', '/api/users/login', { Host: `127.0.0.1:${port}`, Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, loginBody);
    expect(login.status).toBe(403);
    expect(JSON.parse(login.body).description).toBe('API.ORIGIN_NOT_ALLOWED');
    const gw = await request('POST', '/api/gateways', { ...rt.headers, Host: `127.0.0.1:${port}`, Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, JSON.stringify({ data: { name: 'Planted' } }));
    expect(gw.status).toBe(403);
    expect(rt.ctx.store.db.prepare("SELECT COUNT(*) AS n FROM gateways WHERE name = 'Planted'").get()).toEqual({ n: 0 });
    // a page on another port of the same machine is another site too; so is a file:// page ("null")
    for (const origin of [`http://127.0.0.1:${port + 1}`, 'null', `http://localhost:${port}`]) {
      expect((await request('PUT', '/api/users/login', { Host: `127.0.0.1:${port}`, Origin: origin, 'Content-Type': 'application/json' }, loginBody)).status, origin).toBe(403);
    }
    // no Origin but the browser says cross-site
    expect((await request('PUT', '/api/users/login', { Host: `127.0.0.1:${port}`, 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' }, loginBody)).status).toBe(403);
    expect(sessions()).toBe(before);
    // no CORS for anyone
    const read = await request('GET', '/api/health', { Host: `127.0.0.1:${port}`, Origin: 'http://evil.example' });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('the UI on its own origin, and clients that are no browser, keep working', async () => {
    const own = await request('PUT', '/api/users/login', { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'application/json' }, loginBody);
    expect(own.status).toBe(200);
    const viaName = await request('PUT', '/api/users/login', { Host: `localhost:${port}`, Origin: `http://localhost:${port}`, 'Content-Type': 'application/json' }, loginBody);
    expect(viaName.status).toBe(200);
    const curlLike = await request('PUT', '/api/users/login', { Host: `127.0.0.1:${port}`, 'Content-Type': 'text/plain' }, loginBody);
    expect(curlLike.status).toBe(200);
  });

  it('refuses WebSocket upgrades from another site and accepts its own', async () => {
    const open = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live?${new URLSearchParams({ user_uuid: 'x' })}`, { origin, headers: rt.headers });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('error', () => resolve(-1));
      });
    expect(await open('http://evil.example')).toBe(403);
    expect(await open(`http://127.0.0.1:${port}`)).not.toBe(403);
  });

  it('sends security headers; a CSP on HTML', async () => {
    const r = await request('GET', '/api/health', { Host: `127.0.0.1:${port}` });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });
});
