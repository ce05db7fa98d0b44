/**
 * OAuth2 client credentials for the OpenADR VTN (RFC 6749 §4.4): credentials by HTTP Basic or in the form body
 * (§2.3.1, not both), errors as §5.2 (`invalid_request`, `invalid_client` with 401 and WWW-Authenticate,
 * `unsupported_grant_type`, `invalid_scope`), `Cache-Control: no-store`. Tokens last an hour; expired ones are
 * purged whenever a token is issued. A partner's role decides its scopes: a VEN, or the VTN operator's business
 * logic (`bl`, which reads and writes everything).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { newSecret, secretHash } from '../auth/passwords';
import type { Db } from '../store/store';

export const TOKEN_SECONDS = 3600;
export const SCOPES = {
  ven: ['read_targets', 'read_ven_objects', 'write_reports', 'write_subscriptions', 'write_vens'],
  bl: ['read_all', 'write_programs', 'write_events', 'write_subscriptions', 'write_vens'],
} as const;

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  if (status === 401) reply.header('WWW-Authenticate', 'Basic realm="openadr"');
  return reply.code(status).header('Cache-Control', 'no-store').header('Pragma', 'no-cache').type('application/json').send({ error, error_description: description });
}

export function tokenEndpoint(db: Db) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const b = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, string>;
    let id = b.client_id;
    let secret = b.client_secret;
    const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (basic) {
      if (secret !== undefined) return oauthError(reply, 400, 'invalid_request', 'send the client credentials once: in the Authorization header or in the body');
      const text = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon < 0) return oauthError(reply, 401, 'invalid_client', 'the Basic credentials must be client_id:client_secret');
      // RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding
      id = decodeURIComponent(text.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(text.slice(colon + 1).replace(/\+/g, ' '));
    }
    if (!id || !secret) return oauthError(reply, 401, 'invalid_client', 'client authentication is required (HTTP Basic or client_id and client_secret in the body)');
    const p = db.prepare('SELECT id, role FROM dr_partners WHERE client_id = ? AND key_hash = ?').get(id, secretHash(secret)) as { id: number; role: 'ven' | 'bl' } | undefined;
    if (!p) return oauthError(reply, 401, 'invalid_client', 'unknown client or wrong secret');
    if (type !== 'application/x-www-form-urlencoded') return oauthError(reply, 400, 'invalid_request', 'the request must be application/x-www-form-urlencoded');
    if (!b.grant_type) return oauthError(reply, 400, 'invalid_request', 'grant_type is required');
    if (b.grant_type !== 'client_credentials') return oauthError(reply, 400, 'unsupported_grant_type', 'only the client_credentials grant is supported');
    const allowed: readonly string[] = SCOPES[p.role] ?? SCOPES.ven;
    const asked = b.scope ? b.scope.split(' ').filter(Boolean) : [...allowed];
    if (!asked.every((s) => allowed.includes(s))) return oauthError(reply, 400, 'invalid_scope', `this client may ask for: ${allowed.join(' ')}`);
    db.prepare('DELETE FROM dr_partner_tokens WHERE expires_at <= ?').run(new Date().toISOString());
    const token = newSecret();
    db.prepare('INSERT INTO dr_partner_tokens (token_hash, partner_id, expires_at) VALUES (?, ?, ?)').run(secretHash(token), p.id, new Date(Date.now() + TOKEN_SECONDS * 1000).toISOString());
    return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send({ access_token: token, token_type: 'Bearer', expires_in: TOKEN_SECONDS, scope: asked.join(' ') });
  };
}
