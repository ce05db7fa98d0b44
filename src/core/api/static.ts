import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The types of what the renderer's build holds (electron-vite: html, js, css, and what the screens import). */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The built renderer (the screens) at `/`: its files by path, and `index.html` for every other path outside `/api`
 * (the screens route by the hash, a reload of any path lands on the app). Public, like the login screen it shows.
 *
 * A handler of our own instead of @fastify/static: that plugin (with glob, send and mime) cost about 150 ms of the
 * headless start-up to load and to register a route per file, for three files a browser asks for once. Answered
 * here: GET and HEAD (api/server.ts turns HEAD into GET), a strong validator (ETag from size and modification time,
 * Last-Modified) with 304 for a conditional request, `Cache-Control: public, max-age=0` as before; hidden files and
 * paths outside the directory are never served.
 */
export function registerRenderer(app: FastifyInstance, dir: string): void {
  const root = path.resolve(dir);
  app.get('/*', { config: { auth: 'public' } }, async (req, reply) => {
    if (req.url.startsWith('/api')) return reply.callNotFound();
    const file = fileOf(root, req.url) ?? path.join(root, 'index.html');
    return sendFile(req, reply, file);
  });
}

/** The regular file the URL names under root, or null (directories, hidden files, what lies outside root). */
function fileOf(root: string, url: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(url.split('?')[0]);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.split('/').some((s) => s.startsWith('.'))) return null;
  const file = path.resolve(root, `.${rel}`);
  if (!file.startsWith(root + path.sep)) return null;
  try {
    return fs.statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

async function sendFile(req: FastifyRequest, reply: FastifyReply, file: string): Promise<FastifyReply> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch {
    reply.callNotFound(); // the build went away under the server
    return reply;
  }
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const modified = new Date(Math.floor(st.mtimeMs / 1000) * 1000);
  reply
    .header('Content-Type', TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream')
    .header('ETag', etag)
    .header('Last-Modified', modified.toUTCString())
    .header('Cache-Control', 'public, max-age=0');
  const match = req.headers['if-none-match'];
  const since = req.headers['if-modified-since'];
  const fresh = match !== undefined ? match.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}` || t.trim() === '*') : since !== undefined && Date.parse(since) >= modified.getTime();
  if (fresh) return reply.code(304).send();
  reply.header('Content-Length', st.size);
  return reply.send(fs.createReadStream(file));
}
