import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain JS module without types
import { NODE_FLAGS } from '../../scripts/node-flags.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a test that binds it next). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** The command `npm run cli` runs (package.json), without npm in between: the built headless entry, with its V8 options. */
export const CLI_COMMAND = [...NODE_FLAGS, path.join(ROOT, 'scripts', 'built.mjs')];
/** The command `npm run serve` runs. */
export const SERVE_COMMAND = [...CLI_COMMAND, 'serve'];

/** How long a child server may take to be ready on a loaded 2-core machine (it is waited on, not slept). */
export const START_DEADLINE_MS = 90_000;

/**
 * Starts the server as users start it (`npm run serve`: the built JavaScript, rebuilt when the sources are newer)
 * in a child process and resolves once it has printed its URL; on failure the error carries its output.
 */
export function serve(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = START_DEADLINE_MS, command: string[] = SERVE_COMMAND): Promise<Served> {
  const child = spawn(process.execPath, [...command, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (signal) out += `\n[the server exited on ${signal}]\n`;
      resolve(code);
    }),
  );
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${out}`));
    });
  });
}

export async function login(url: string, name: string, password: string): Promise<{ headers: Record<string, string>; body: Record<string, unknown> }> {
  const r = await fetch(`${url}/api/users/login`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { name, password } }) });
  const body = (await r.json()) as Record<string, unknown>;
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(body)}`);
  return { headers: { 'User-UUID': String(body.user_uuid), Token: String(body.token), 'Content-Type': 'application/json' }, body };
}
