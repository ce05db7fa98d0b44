import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from './errors';

/**
 * Bounded input. Every body is refused before any parsing work when it is too large (413, by fastify's
 * bodyLimit while the bytes arrive) or nested too deep (400, by a linear pre-scan before JSON.parse), so
 * no hostile body reaches validation, the store, the audit log or a JSON.stringify that could overflow.
 */

/** The default limit of a request body; routes that take files or lists declare their own (ROUTE_LIMITS). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Configuration imports (an exported space with its children), point lists. */
export const IMPORT_BODY_LIMIT = 20 * 1024 * 1024;
/** Arrays and objects nested deeper than this are refused: no configuration object comes near it. */
export const MAX_JSON_DEPTH = 64;

/** The nesting depth of a JSON text, counted without parsing it (brackets inside strings do not count). */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/** JSON.parse with the depth bounded first; a 400 naming the problem otherwise. */
export function parseBoundedJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  if (jsonDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new ApiError(400, 'API.BAD_REQUEST', 'API.REQUEST_TOO_DEEP', `the request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError(400, 'API.BAD_REQUEST', 'API.INVALID_JSON', 'the request body is not valid JSON');
  }
}

/** Routes whose bodies may be larger than DEFAULT_BODY_LIMIT (uploads declare theirs on the route itself). */
const ROUTE_LIMITS: { test: (method: string, url: string) => boolean; limit: number }[] = [
  { test: (m, u) => m === 'POST' && /^\/api\/datasources\/:id\/pointlist$/.test(u), limit: IMPORT_BODY_LIMIT },
  { test: (m, u) => (m === 'POST' || m === 'PUT') && /\/import$/.test(u), limit: IMPORT_BODY_LIMIT },
];

/**
 * Installs the bounded parsers and the per-route limits. JSON is also taken when sent as text/plain (MyEMS's
 * own API-key examples do), which is why text/plain is parsed here: the Origin check (origin.ts) is what keeps
 * cross-site "simple" requests out.
 */
export function registerBodyLimits(app: FastifyInstance): void {
  const parseJson = (_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => {
    try {
      done(null, parseBoundedJson(body));
    } catch (e) {
      done(e as Error);
    }
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJson);
  app.addContentTypeParser(/^application\/[\w.+-]*json/, { parseAs: 'string' }, parseJson);
  app.addHook('onRoute', (route) => {
    if (route.bodyLimit !== undefined) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hit = ROUTE_LIMITS.find((r) => methods.some((m) => r.test(m, route.url)));
    route.bodyLimit = hit?.limit ?? DEFAULT_BODY_LIMIT;
  });
}

/** The {"data":{...}} object of a body, or a 400 when the body is missing or not an object. */
export function dataObject(body: unknown): Record<string, unknown> {
  const data = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { data?: unknown }).data : undefined;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{...}} with an object in "data"', 'data');
  }
  return data as Record<string, unknown>;
}
