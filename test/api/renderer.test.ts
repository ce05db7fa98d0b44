import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/core/runtime';

/** A raw request (the path sent as written, no client-side normalization): status, headers and body. */
function request(url: string, pathname: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${pathname}`, { method, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.path = pathname;
    req.on('error', reject);
    req.end();
  });
}

/**
 * The built screens at / (api/static.ts): each file by its path with its type and validators, index.html for any
 * other path outside /api, nothing hidden or outside the directory, and /api untouched.
 */
describe('the renderer served at /', () => {
  let base: string;
  let runtime: Runtime;
  let url: string;
  const INDEX = '<!doctype html><title>Switchyard</title><script src="/assets/index-abc.js"></script>';
  const SCRIPT = 'console.log("screens");\n'.repeat(1000);

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-renderer-'));
    const dir = path.join(base, 'renderer');
    fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc.js'), SCRIPT);
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc.css'), 'body{}');
    fs.writeFileSync(path.join(dir, '.env'), 'SECRET=in-the-root');
    fs.writeFileSync(path.join(base, 'secret.txt'), 'SECRET=beside-the-root');
    fs.mkdirSync(path.join(base, 'data'));
    runtime = createRuntime({ dataDir: path.join(base, 'data'), port: 0, seed: 'empty', adminPassword: 'Renderer-Test-1', rendererDir: dir, log: () => undefined });
    ({ url } = await runtime.start());
  });
  afterAll(async () => {
    await runtime?.stop();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('serves index.html at / and at any screen path, and each file by its path with its type', async () => {
    for (const p of ['/', '/index.html', '/trends', '/diagrams/plant/1?x=1']) {
      const r = await request(url, p);
      expect(r.status, p).toBe(200);
      expect(r.headers['content-type'], p).toBe('text/html; charset=utf-8');
      expect(r.body, p).toBe(INDEX);
    }
    const js = await request(url, '/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['content-length']).toBe(String(Buffer.byteLength(SCRIPT)));
    expect(js.body).toBe(SCRIPT);
    expect((await request(url, '/assets/index-abc.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    // the security headers of every answer
    expect(js.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers a conditional request with 304 when the file has not changed', async () => {
    const first = await request(url, '/assets/index-abc.js');
    expect(first.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=0');
    const byTag = await request(url, '/assets/index-abc.js', 'GET', { 'If-None-Match': first.headers.etag! });
    expect(byTag.status).toBe(304);
    expect(byTag.body).toBe('');
    const byDate = await request(url, '/assets/index-abc.js', 'GET', { 'If-Modified-Since': first.headers['last-modified']! });
    expect(byDate.status).toBe(304);
    expect((await request(url, '/assets/index-abc.js', 'GET', { 'If-None-Match': '"other"' })).status).toBe(200);
  });

  it('never serves a hidden file or one outside its directory', async () => {
    for (const p of ['/.env', '/assets/../.env', '/%2e%2e/secret.txt', '/assets%2f..%2f..%2fsecret.txt', '/..%2fsecret.txt', '/assets/%00.js']) {
      const r = await request(url, p);
      expect(r.body, p).not.toContain('SECRET');
    }
  });

  it('leaves /api alone: unknown API paths are not the app', async () => {
    const r = await request(url, '/api/nothing-here');
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ title: 'API.UNAUTHORIZED' });
    expect((await request(url, '/api/health')).status).toBe(200);
  });
});
