import { describe, expect, it } from 'vitest';
import { createApiServer } from '../../src/core/api/server';
import type { AuthService } from '../../src/core/auth/service';

/**
 * fastify's schema compilers (ajv, fast-json-stringify) are loaded only when a route declares a schema (start-up
 * time, api/server.ts); a route that declares one still has its body validated and its answer serialized by them.
 */
describe('routes with a JSON schema', () => {
  it('validate the body (a 400 in the MyEMS shape) and serialize the answer by the schema', async () => {
    const auth = { authenticate: () => ({}) } as unknown as AuthService;
    const app = createApiServer({ auth });
    app.post(
      '/api/echo',
      {
        config: { auth: 'public' },
        schema: {
          body: { type: 'object', required: ['data'], properties: { data: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
          response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
        },
      },
      async (req) => ({ n: (req.body as { data: { n: number } }).data.n, secret: 'not in the schema' }),
    );
    try {
      const bad = await app.inject({ method: 'POST', url: '/api/echo', payload: { data: { n: 'x' } } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ title: 'API.BAD_REQUEST', description: 'API.BAD_REQUEST' });
      expect(bad.json().message).toContain('data/n');
      const good = await app.inject({ method: 'POST', url: '/api/echo', payload: { data: { n: 7 } } });
      expect(good.statusCode).toBe(200);
      expect(good.body).toBe('{"n":7}');
    } finally {
      await app.close();
    }
  });
});
