import { entityParam } from '../../src/core/model/dispatch';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

/** A raw request over the socket: the status, the headers and every body byte that arrived. */
function request(url: string, method: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * HEAD is answered by the GET routes (the server registers no HEAD twin per GET, for start-up time): same status and
 * headers as GET, no body, and the same authentication.
 */
describe('HEAD requests', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt?.stop());

  it('answer as GET does, without a body', async () => {
    for (const path of ['/api/health', '/api/meters', '/api/spaces', '/']) {
      const get = await request(`${rt.url}${path}`, 'GET', rt.headers);
      const head = await request(`${rt.url}${path}`, 'HEAD', rt.headers);
      expect(head.status, path).toBe(get.status);
      expect(head.headers['content-type'], path).toBe(get.headers['content-type']);
      expect(head.bytes, path).toBe(0);
      if (get.headers['content-length']) expect(head.headers['content-length'], path).toBe(get.headers['content-length']);
    }
    expect((await request(`${rt.url}/api/health`, 'GET')).status).toBe(200);
  });

  it('need the same credentials as GET', async () => {
    const head = await request(`${rt.url}/api/meters`, 'HEAD');
    expect(head.status).toBe(401);
    expect(head.bytes).toBe(0);
    expect((await request(`${rt.url}/api/nothing-here`, 'HEAD', rt.headers)).status).toBe(404);
  });

  it('are not routes of their own', () => {
    // the generated entity routes sit behind dispatching routes (model/dispatch.ts); health is a route of its own
    expect(rt.ctx.app.hasRoute({ method: 'GET', url: '/api/health' })).toBe(true);
    expect(rt.ctx.app.hasRoute({ method: 'HEAD', url: '/api/health' })).toBe(false);
    const app = rt.ctx.app;
    const generated = app.registeredRoutes.filter((r) => !app.hasRoute({ method: r.method as 'GET', url: r.url }));
    const url = `/api/${entityParam(generated.map((r) => r.url.split('/')[2]))}`;
    expect(app.hasRoute({ method: 'GET', url })).toBe(true);
    expect(app.hasRoute({ method: 'HEAD', url })).toBe(false);
  });
});
