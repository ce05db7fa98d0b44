import type { FastifyInstance } from 'fastify';
import { appContentSecurityPolicy } from '../../shared/csp';

/** Security headers on every answer, and the app's Content-Security-Policy (src/shared/csp.ts) on the served UI's pages. */
export function contentSecurityPolicy(host: string | undefined): string {
  return appContentSecurityPolicy(host ? [`ws://${host}`, `wss://${host}`] : []);
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') || type.startsWith('image/svg')) reply.header('Content-Security-Policy', contentSecurityPolicy(req.headers.host));
    else if (!reply.hasHeader('Content-Security-Policy')) reply.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    return payload;
  });
}
