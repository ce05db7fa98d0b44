/**
 * PostgreSQL (Debian's `postgresql`) for the tests: a throw-away cluster made with initdb in a temporary directory,
 * started with `postgres` on a free loopback port (no system service, no Unix socket outside the directory) and
 * stopped by its PID, its directory removed. initdb and postgres refuse to run as root: as root, the directory is
 * given to `nobody` and both run as that user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../support/process';
import { peerAvailable } from './peers';

/** The directory holding initdb and postgres: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin. */
export function postgresBin(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const initdb = path.join(dir, 'initdb');
    if (dir && fs.existsSync(initdb)) return path.dirname(fs.realpathSync(initdb));
  }
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : null;
}

/** Fails the suite (never skips it) when PostgreSQL is not installed, naming the apt line. */
export const hasPostgres = () => peerAvailable('PostgreSQL initdb/postgres (apt: postgresql)', () => postgresBin() !== null);

export interface PostgresPeer {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

const NOBODY = 65534;

/**
 * `durable: false` (default) turns fsync off: the tests want speed, not crash safety. The benchmark keeps the
 * defaults of a real installation.
 */
export async function startPostgres(opts: { durable?: boolean; database?: string } = {}): Promise<PostgresPeer> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (apt: postgresql)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-postgres-'));
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
  if (asRoot) fs.chownSync(dir, NOBODY, NOBODY);
  const data = path.join(dir, 'data');
  let child: ChildProcess | null = null;
  const stop = async () => {
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      await new Promise<void>((resolve) => {
        // smart shutdown first: it lets sessions that are closing finish. A pool's end() resolves before its
        // connections have said goodbye, and a fast shutdown answers such a connection with 57P01 "terminating
        // connection due to administrator command", which the closing client reports as an unhandled rejection
        const fast = setTimeout(() => c.kill('SIGINT'), 5_000);
        const kill = setTimeout(() => c.kill('SIGKILL'), 20_000);
        c.once('exit', () => {
          clearTimeout(fast);
          clearTimeout(kill);
          resolve();
        });
        c.kill('SIGTERM');
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'switchyard', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], { ...ids, stdio: 'pipe', cwd: dir });
    const port = await freePort();
    const settings = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=50'];
    if (!opts.durable) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    const c = spawn(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), ...settings], { ...ids, stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    child = c;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`postgres did not start:\n${out}`)), 60_000);
      const on = (d: Buffer) => {
        out += d.toString();
        if (/ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      c.stdout?.on('data', on);
      c.stderr?.on('data', on);
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`postgres exited with ${code}:\n${out}`));
      });
    });
    const database = opts.database ?? 'switchyard';
    const admin = new pg.Pool({ connectionString: `postgres://switchyard@127.0.0.1:${port}/postgres`, max: 1 });
    try {
      await admin.query(`CREATE DATABASE ${database}`);
    } finally {
      await admin.end();
    }
    return { url: `postgres://switchyard@127.0.0.1:${port}/${database}`, port, child: c, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
