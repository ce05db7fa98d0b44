import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli';
import { freePort, login, serve, type Served } from '../support/process';

const running: Served[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop('SIGKILL');
});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sy-serve-'));

describe('serve', () => {
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

  it('refuses bad arguments with a usage message', () => {
    expect(() => parseArgs(['serve', '--port', 'abc'])).toThrow(/--port/);
    expect(() => parseArgs(['serve', '--bogus'])).toThrow(/unknown option --bogus/);
    expect(parseArgs(['serve', '--demo', '--host', '0.0.0.0'])).toMatchObject({ seed: 'demo', host: '0.0.0.0', port: 8787 });
  });
});
