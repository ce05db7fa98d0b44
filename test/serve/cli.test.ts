import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli';
import { freePort, login, ROOT, serve, type Served } from '../support/process';

const running: Served[] = [];
const dirs: string[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop('SIGKILL');
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-serve-'));
  dirs.push(d);
  return d;
};

/** A script of package.json run as npm runs it (`npm run cli -- ARGS` is `node scripts/built.mjs ARGS`). */
function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('serve', { timeout: 180_000 }, () => {
  it('listens on 127.0.0.1 by default, logs its URL once, answers health, and stops cleanly on SIGTERM', async () => {
    const dir = tmp();
    const port = await freePort();
    const s = await serve(['--port', String(port), '--data-dir', dir, '--empty'], { SWITCHYARD_ADMIN_PASSWORD: 'Start#123' });
    running.push(s);
    expect(s.url).toBe(`http://127.0.0.1:${port}`);
    expect(s.output().match(/listening on/g)).toHaveLength(1);
    const health = await fetch(`${s.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    // a protected route without credentials
    expect((await fetch(`${s.url}/api/meters`)).status).toBe(401);
    const { headers } = await login(s.url, 'administrator', 'Start#123');
    expect((await fetch(`${s.url}/api/energycategories`, { headers })).status).toBe(200);

    expect(await s.stop('SIGTERM')).toBe(0);
    running.pop();
    // the store was closed cleanly: the WAL was checkpointed and removed, and it opens again
    expect(fs.existsSync(path.join(dir, 'switchyard.db-wal'))).toBe(false);
    const db = new Database(path.join(dir, 'switchyard.db'), { readonly: true });
    expect((db.prepare('SELECT COUNT(*) AS n FROM energy_categories').get() as { n: number }).n).toBeGreaterThan(0);
    db.close();
  });

  it('generates the administrator password on a fresh data directory, prints it once and stores it in a file', async () => {
    const dir = tmp();
    const env = { SWITCHYARD_ADMIN_PASSWORD: '' };
    const first = await serve(['--port', String(await freePort()), '--data-dir', dir, '--empty'], env);
    running.push(first);
    const file = path.join(dir, 'administrator-password.txt');
    const password = fs.readFileSync(file, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(first.output()).toContain(password);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    await login(first.url, 'administrator', password);
    await first.stop('SIGINT');
    running.pop();

    const second = await serve(['--port', String(await freePort()), '--data-dir', dir], env);
    running.push(second);
    expect(second.output()).not.toContain(password);
    await login(second.url, 'administrator', password);
  });

  it('a busy port is a one-line error naming --port, before a fresh store is created or a password shown', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const dir = path.join(tmp(), 'fresh');
      const r = await run('built.mjs', ['serve', '--port', String(port), '--data-dir', dir, '--demo'], { SWITCHYARD_ADMIN_PASSWORD: '' });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toEqual([`cannot start: port ${port} on 127.0.0.1 is already in use; choose another with --port`]);
      // nothing was seeded: no store, no generated password to lose
      expect(fs.existsSync(dir)).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('--help documents the data directory and the port, for serve, the cli and npm start', async () => {
    for (const [script, args] of [
      ['built.mjs', ['--help']],
      ['built.mjs', ['serve', '--help']],
      ['start.mjs', ['--help']],
    ] as const) {
      const r = await run(script, [...args]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/--data-dir DIR +where the store/);
      expect(r.stdout).toMatch(/--port N +the HTTP port \(default 8787/);
      expect(r.stdout).toContain('npm start -- --data-dir');
    }
  });

  it('migrate only migrates: a missing data directory is an error, and nothing but the store is touched', async () => {
    const missing = path.join(tmp(), 'does-not-exist');
    const r = await run('built.mjs', ['migrate', '--data-dir', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`cannot migrate: data directory ${missing} does not exist`);
    expect(fs.existsSync(missing)).toBe(false);
    const empty = tmp();
    const e = await run('built.mjs', ['migrate', '--data-dir', empty]);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/no store \(switchyard\.db\)/);
    expect(fs.readdirSync(empty)).toEqual([]);

    // a demo store, stopped: migrate neither seeds nor starts the demo's devices or acquisition
    const dir = tmp();
    const s = await serve(['--port', String(await freePort()), '--data-dir', dir, '--demo'], { SWITCHYARD_ADMIN_PASSWORD: 'Migrate#123' });
    running.push(s);
    expect(await s.stop('SIGTERM'), s.output()).toBe(0);
    running.pop();
    const before = new Database(path.join(dir, 'switchyard.db'));
    before.prepare("UPDATE data_sources SET status = 'offline', last_seen_datetime = NULL").run();
    const counts = () => before.prepare('SELECT (SELECT COUNT(*) FROM points) AS points, (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM audit_log) AS audit').get();
    const was = counts();
    before.close();
    const m = await run('built.mjs', ['migrate', '--data-dir', dir]);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toBe(`store in ${dir} is up to date\n`);
    expect(m.stderr).toBe('');
    const after = new Database(path.join(dir, 'switchyard.db'), { readonly: true });
    try {
      const ds = after.prepare('SELECT status, last_seen_datetime FROM data_sources').all() as { status: string; last_seen_datetime: string | null }[];
      expect(ds.every((d) => d.status === 'offline' && d.last_seen_datetime === null)).toBe(true);
      expect(after.prepare('SELECT (SELECT COUNT(*) FROM points) AS points, (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM audit_log) AS audit').get()).toEqual(was);
    } finally {
      after.close();
    }
  });

  it('refuses bad arguments with a usage message', () => {
    expect(() => parseArgs(['serve', '--port', 'abc'])).toThrow(/--port/);
    expect(() => parseArgs(['serve', '--bogus'])).toThrow(/unknown option --bogus/);
    expect(parseArgs(['serve', '--demo', '--host', '0.0.0.0'])).toMatchObject({ seed: 'demo', host: '0.0.0.0', port: 8787 });
    // the central store's PostgreSQL (docs/central.md)
    expect(() => parseArgs(['serve', '--database', 'mysql://x/db'])).toThrow(/--database must be a PostgreSQL URL/);
    expect(() => parseArgs(['serve', '--database', 'postgres://h/db', '--database-partition', 'month'])).toThrow(/day or week/);
    expect(() => parseArgs(['serve', '--database-partition', 'week'])).toThrow(/needs --database/);
    expect(parseArgs(['serve', '--database', 'postgres://u@127.0.0.1:5433/central', '--database-partition', 'week']).database).toEqual({ url: 'postgres://u@127.0.0.1:5433/central', partition: 'week' });
  });
});
