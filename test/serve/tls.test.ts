/**
 * TLS for a server other machines can reach: `serve --tls-cert --tls-key` answers HTTPS with the given
 * certificate (a self-signed one made by openssl for this test, on 127.0.0.1); listening beyond loopback
 * without TLS is refused before anything listens, unless --insecure is given.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoopbackHost, resolveListenSecurity } from '../../src/core/api/tls';
import { parseArgs } from '../../src/cli';
import { freePort, ROOT } from '../support/process';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-tls-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], untilOutput: RegExp, timeoutMs = 30_000) => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'serve', ...args], {
    cwd: ROOT,
    env: { ...process.env, SWITCHYARD_ADMIN_PASSWORD: 'Tls-Test-Password-1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${untilOutput} in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const on = (d: Buffer) => {
      out += d.toString();
      if (untilOutput.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(out);
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return { ready, exited, stop };
};

describe('TLS and where the server may listen', () => {
  it('tells loopback from the network and refuses clear text beyond loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', 'scada.plant.local']) expect(isLoopbackHost(h), h).toBe(false);
    expect(resolveListenSecurity('127.0.0.1', {})).toBeNull();
    expect(() => resolveListenSecurity('0.0.0.0', {})).toThrow(/without TLS.*--insecure/);
    expect(resolveListenSecurity('0.0.0.0', { insecure: true })).toBeNull();
    expect(() => resolveListenSecurity('0.0.0.0', { tlsCert: '/x' })).toThrow(/go together/);
    expect(() => resolveListenSecurity('0.0.0.0', { tlsCert: path.join(dir, 'missing.pem'), tlsKey: path.join(dir, 'missing.key') })).toThrow(/cannot read the TLS certificate/);
    expect(parseArgs(['serve', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--allowed-host', 'scada.local']).security).toMatchObject({
      tlsCert: path.resolve('c.pem'),
      tlsKey: path.resolve('k.pem'),
      allowedHosts: ['scada.local'],
    });
  });

  it('serve refuses 0.0.0.0 without TLS before listening', async () => {
    const s = run(['--host', '0.0.0.0', '--port', String(await freePort()), '--data-dir', path.join(dir, 'plain')], /refusing|listening/);
    const out = await s.ready;
    expect(await s.exited).toBe(2);
    expect(out).toMatch(/refusing to listen on 0\.0\.0\.0 without TLS/);
    expect(out).not.toMatch(/listening on/);
  });

  it('serve --tls-cert/--tls-key answers HTTPS with that certificate', async () => {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const port = await freePort();
    const s = run(['--host', '127.0.0.1', '--port', String(port), '--data-dir', path.join(dir, 'tls'), '--tls-cert', cert, '--tls-key', key], /listening on \S+|cannot start/);
    try {
      const out = await s.ready;
      expect(out).toContain(`listening on https://127.0.0.1:${port}`);
      const get = (ca?: Buffer) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = https.get({ host: '127.0.0.1', port, path: '/api/health', ca, rejectUnauthorized: true }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
        });
      const ok = await get(fs.readFileSync(cert));
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body).status).toBe('ok');
      // a client that does not trust the certificate refuses it: the connection really is TLS with that certificate
      await expect(get()).rejects.toThrow(/self[- ]signed|certificate/i);
    } finally {
      await s.stop();
    }
  });
});
