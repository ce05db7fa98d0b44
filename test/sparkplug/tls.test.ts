/**
 * The edge node reaches a broker over TLS with credentials: mosquitto with a certificate made by openssl for
 * 127.0.0.1 and a password file made by mosquitto_passwd. Without the CA the certificate is refused; with a wrong
 * password the broker refuses; with both right the node births (seen by a TLS subscriber, decoded with Tahu). The
 * password is never answered by the API. A central host (Sparkplug host application) on the same broker goes the same
 * way: refused without the CA and with a wrong password, then connected, it sees the edge node online.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import * as sparkplug from 'sparkplug-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary } from '../peers/peers';
import { freePort } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { waitFor } from '../support/wait';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');
hasBinary('/usr/bin/mosquitto_passwd', 'mosquitto');
hasBinary('/usr/bin/openssl', 'openssl');

const tahu = sparkplug.get('spBv1.0')!;

describe('Sparkplug edge node over TLS with credentials', { timeout: 180_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-spb-tls-'));
  let port: number;
  let broker: ChildProcess | null = null;
  let rt: TestRuntime;
  let sub: mqtt.MqttClient | null = null;
  const births: string[] = [];
  const cert = path.join(dir, 'cert.pem');
  let edgeId = 0;

  beforeAll(async () => {
    fs.chmodSync(dir, 0o755);
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    fs.chmodSync(key, 0o644);
    const pw = path.join(dir, 'passwords');
    execFileSync('/usr/bin/mosquitto_passwd', ['-b', '-c', pw, 'edge', 'Edge-Secret-1'], { stdio: 'ignore' });
    execFileSync('/usr/bin/mosquitto_passwd', ['-b', pw, 'central', 'Central-Secret-1'], { stdio: 'ignore' });
    fs.chmodSync(pw, 0o644);
    port = await freePort();
    const conf = path.join(dir, 'mosquitto.conf');
    fs.writeFileSync(conf, `listener ${port} 127.0.0.1\ncafile ${cert}\ncertfile ${cert}\nkeyfile ${key}\nallow_anonymous false\npassword_file ${pw}\npersistence false\n`);
    const child = spawn('/usr/sbin/mosquitto', ['-c', conf, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    broker = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`mosquitto did not start: ${out}`)), 30_000);
      const on = (d: Buffer) => {
        out += d.toString();
        if (/running|listen socket/.test(out)) {
          clearTimeout(t);
          resolve();
        }
      };
      child.stdout!.on('data', on);
      child.stderr!.on('data', on);
      child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}: ${out}`)));
    });
    sub = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { ca: fs.readFileSync(cert), username: 'edge', password: 'Edge-Secret-1' });
    sub.on('message', (topic, payload) => {
      if (topic.includes('/NBIRTH/')) births.push(`${topic} ${JSON.stringify(tahu.decodePayload(payload).metrics?.map((m) => m.name))}`);
    });
    await sub.subscribeAsync('spBv1.0/#', { qos: 1 });
    rt = await startTestRuntime();
  });
  afterAll(async () => {
    await rt?.stop();
    await sub?.endAsync(true).catch(() => undefined);
    if (broker && broker.exitCode === null) {
      const b = broker;
      await new Promise<void>((r) => {
        b.once('exit', () => r());
        b.kill('SIGKILL');
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unknown certificate and a wrong password, then births with both right', async () => {
    const created = await rt.api<{ id: number }>('POST', '/sparkplugnodes', { name: 'Edge', broker_url: `mqtts://127.0.0.1:${port}`, username: 'edge', password: 'wrong', group_id: 'T', edge_node_id: 'E' });
    expect(created.status).toBe(201);
    const id = created.body.id;
    edgeId = id;
    const status = async () => (await rt.api<{ state: string; last_error: string | null }>('GET', `/sparkplugnodes/${id}/status`)).body;
    await waitFor(async () => /self[- ]signed|certificate/i.test((await status()).last_error ?? ''), 'a refused certificate', 30_000, 100);

    expect((await rt.api('PUT', `/sparkplugnodes/${id}`, { tls: { ca: fs.readFileSync(cert, 'utf8') } })).status).toBe(200);
    await waitFor(async () => /not authori[sz]ed|bad user name or password/i.test((await status()).last_error ?? ''), 'a refused password', 30_000, 100);
    expect((await status()).state).not.toBe('online');
    expect(births).toEqual([]);

    expect((await rt.api('PUT', `/sparkplugnodes/${id}`, { password: 'Edge-Secret-1' })).status).toBe(200);
    await waitFor(async () => (await status()).state === 'online', 'the node online over TLS', 30_000, 100);
    await waitFor(() => births.length > 0, 'the NBIRTH over TLS', 30_000, 50);
    expect(births[0]).toContain('spBv1.0/T/NBIRTH/E');
    expect(births[0]).toContain('bdSeq');
    const row = (await rt.api<Record<string, unknown>>('GET', `/sparkplugnodes/${id}`)).body;
    expect(row).not.toHaveProperty('password');
    expect(JSON.stringify(row)).not.toContain('Edge-Secret-1');
  });

  it('a central host reaches the broker over TLS with credentials: refused without the CA or with a wrong password, then sees the edge', async () => {
    const created = await rt.api<{ id: number }>('POST', '/sparkplughosts', { name: 'HQ', broker_url: `mqtts://127.0.0.1:${port}`, host_id: 'hq', group_ids: 'T', username: 'central', password: 'wrong' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    const host = async () => (await rt.api<{ hosts: { id: number; connected: boolean; last_error: string | null }[] }>('GET', '/central/status')).body.hosts.find((h) => h.id === id)!;
    await waitFor(async () => /self[- ]signed|certificate/i.test((await host()).last_error ?? ''), 'a refused certificate', 30_000, 100);
    expect((await rt.api('PUT', `/sparkplughosts/${id}`, { tls_ca: fs.readFileSync(cert, 'utf8') })).status).toBe(200);
    await waitFor(async () => /not authori[sz]ed|bad user name or password/i.test((await host()).last_error ?? ''), 'a refused password', 30_000, 100);
    expect((await host()).connected).toBe(false);

    expect((await rt.api('PUT', `/sparkplughosts/${id}`, { password: 'Central-Secret-1' })).status).toBe(200);
    await waitFor(async () => (await host()).connected, 'the host connected over TLS', 30_000, 100);
    // the edge node of the test above, born before this host listened, is asked for its births: the site is online
    expect((await rt.api('POST', `/sparkplugnodes/${edgeId}/rebirth`)).status).toBe(200);
    await waitFor(async () => (await rt.api<{ group_id: string; edge_node_id: string; online: boolean }[]>('GET', '/central/sites')).body.some((x) => x.group_id === 'T' && x.edge_node_id === 'E' && x.online), 'the edge online at the host', 30_000, 100);
    const row = (await rt.api<Record<string, unknown>>('GET', `/sparkplughosts/${id}`)).body;
    expect(row).not.toHaveProperty('password');
    expect(JSON.stringify(row)).not.toContain('Central-Secret-1');
  });
});
