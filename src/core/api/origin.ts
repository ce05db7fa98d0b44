import net from 'node:net';
import os from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { forbidden } from './errors';

/**
 * A local API that no web page can reach. Two browser attacks are closed here:
 * - DNS rebinding: a page of evil.example re-resolves its own name to 127.0.0.1 and then talks to the API as
 *   "same origin". Its requests carry `Host: evil.example`, so only known host names are answered. IP literals
 *   are always accepted (a rebinding attack needs a name of its own); names are localhost, the machine's name
 *   when listening beyond loopback, the `--host` given, and what the configuration adds.
 * - Cross-site requests: a page elsewhere posting a form or a `text/plain` "simple" request (no preflight) to
 *   127.0.0.1. Browsers say where a request comes from (`Origin`, `Sec-Fetch-Site`); a state-changing request
 *   or a WebSocket upgrade from another origin is refused. Clients that are not browsers send neither and are
 *   unaffected. No CORS headers are sent unless origins are configured.
 */
export interface OriginOptions {
  /** the address the server listens on (its name, when it is one, is allowed in Host) */
  listenHost?: string;
  /** further host names accepted in Host (e.g. the name a reverse proxy or an operator uses) */
  allowedHosts?: string[];
  /** other origins (scheme://host:port) allowed to call the API from a browser, with CORS */
  allowedOrigins?: string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK_NAMES = ['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'];

const hostnameOf = (hostHeader: string): string => {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') >= 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h).replace(/\.$/, '');
};

const isWildcard = (host: string | undefined) => !host || host === '0.0.0.0' || host === '::' || host === '[::]';

export function allowedHostNames(opts: OriginOptions): Set<string> {
  const names = new Set<string>(LOOPBACK_NAMES);
  const listen = opts.listenHost?.toLowerCase().replace(/^\[|\]$/g, '');
  if (listen && !isWildcard(listen)) names.add(listen);
  const loopbackOnly = listen !== undefined && (net.isIP(listen) ? /^(127\.|::1$)/.test(listen) : LOOPBACK_NAMES.includes(listen));
  if (!loopbackOnly) {
    // listening beyond loopback: the machine's own names reach it too
    const name = os.hostname().toLowerCase();
    names.add(name);
    names.add(name.split('.')[0]);
  }
  for (const h of opts.allowedHosts ?? []) if (h.trim()) names.add(h.trim().toLowerCase());
  return names;
}

/** Whether a Host header names this server: an IP literal, or a known name (with any port). */
export function isAllowedHost(hostHeader: string | undefined, names: Set<string>): boolean {
  if (!hostHeader) return false;
  const h = hostnameOf(hostHeader);
  return net.isIP(h) !== 0 || names.has(h) || h.endsWith('.localhost');
}

/** Whether an Origin header is this server itself (same host and port as the request's Host) or configured. */
export function isSameOrAllowedOrigin(origin: string, hostHeader: string | undefined, allowed: Set<string>): boolean {
  if (allowed.has(origin.toLowerCase())) return true;
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!hostHeader && u.host.toLowerCase() === hostHeader.trim().toLowerCase();
  } catch {
    return false; // "null" (a file:// page, a sandboxed frame) and anything unparsable is foreign
  }
}

export function registerOriginChecks(app: FastifyInstance, opts: OriginOptions = {}): void {
  const names = allowedHostNames(opts);
  const corsOrigins = new Set((opts.allowedOrigins ?? []).map((o) => o.trim().toLowerCase().replace(/\/$/, '')).filter(Boolean));

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const host = req.headers.host;
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    const refuse = (description: string, message: string) => {
      // a refused WebSocket upgrade gets its answer and then the connection is closed (it cannot be reused)
      if (upgrade) reply.raw.once('finish', () => req.raw.socket?.destroy());
      return forbidden(description, message);
    };
    if (!isAllowedHost(host, names)) {
      throw refuse('API.HOST_NOT_ALLOWED', `this server does not answer to the host name "${String(host ?? '')}"; add it to the allowed hosts to use it`);
    }
    const origin = req.headers.origin;
    const changes = !SAFE_METHODS.has(req.method) || upgrade;
    if (origin !== undefined) {
      const ok = isSameOrAllowedOrigin(origin, host, corsOrigins);
      if (ok && corsOrigins.has(origin.toLowerCase())) {
        reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin');
        if (req.method === 'OPTIONS') {
          reply
            .header('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE')
            .header('Access-Control-Allow-Headers', 'Content-Type, User-UUID, Token, API-Key')
            .header('Access-Control-Max-Age', '600');
          return reply.code(204).send();
        }
      }
      if (!ok && changes) throw refuse('API.ORIGIN_NOT_ALLOWED', 'requests that change something are not accepted from another web site');
    } else if (changes) {
      // a browser that sent no Origin still says where the request comes from
      const site = String(req.headers['sec-fetch-site'] ?? '').toLowerCase();
      if (site === 'cross-site' || site === 'same-site') throw refuse('API.ORIGIN_NOT_ALLOWED', 'requests that change something are not accepted from another web site');
    }
  });
}
