/**
 * Bounded, atomic input: bodies too large (413) or too deep (400) are refused before parsing; a write commits
 * together with its audit entry and its change event or not at all; the audit log keeps what changed, pages
 * with a hard maximum and streams its CSV; the plain 500s of issue 12 are 400s (or work).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH } from '../../src/core/api/limits';
import type { Change } from '../../src/core/model/registry';
import { cleanFileName, diskName, dispositionFileName } from '../../src/core/files/names';
import { ADMIN_PASSWORD, startTestRuntime, type TestRuntime } from '../support/runtime';

const deep = (levels: number, leaf = '1') => {
  let s = leaf;
  for (let i = 0; i < levels; i++) s = `{"a":${s}}`;
  return s;
};

describe('bounded, atomic input', () => {
  let rt: TestRuntime;
  let ds: number;
  let point: number;
  const raw = (method: string, route: string, body: BodyInit | undefined, headers: Record<string, string> = {}) =>
    fetch(`${rt.url}/api${route}`, { method, headers: { ...rt.headers, ...headers }, body });
  const auditCount = () => (rt.ctx.store.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
  const pointRow = () => rt.ctx.store.db.prepare('SELECT * FROM points WHERE id = ?').get(point);

  beforeAll(async () => {
    rt = await startTestRuntime();
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'GW' })).body.id;
    ds = (await rt.api<{ id: number }>('POST', '/datasources', { name: 'Sim', gateway_id: gw, protocol: 'simulation', connection: '{"interval_in_seconds":3600}' })).body.id;
    point = (await rt.api<{ id: number }>('POST', '/points', { name: 'P1', data_source_id: ds, object_type: 'ANALOG_VALUE', units: 'kW', address: '{"waveform":"constant"}' })).body.id;
  });
  afterAll(async () => rt?.stop());

  it('counts JSON depth without parsing, ignoring brackets inside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[{{{"}]}')).toBe(3);
    expect(jsonDepth('"\\"{"')).toBe(0);
    expect(jsonDepth(deep(10_000), 64)).toBe(65);
  });

  it('refuses a body nested 10,000 levels deep with a 400 and changes nothing', async () => {
    const before = pointRow();
    const audits = auditCount();
    for (const body of [`{"data":{"name":"X","junk":${deep(10_000)}}}`, `{"data":{"address":${deep(10_000)}}}`, `{"data":{"name":"Y","junk":${deep(MAX_JSON_DEPTH)}}}`]) {
      const r = await raw('PUT', `/points/${point}`, body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { description: string }).description).toBe('API.REQUEST_TOO_DEEP');
    }
    expect(pointRow()).toEqual(before);
    expect(auditCount()).toBe(audits);
    // nesting within the limit is taken (and the undeclared key ignored)
    const ok = await raw('PUT', `/points/${point}`, `{"data":{"name":"P1","junk":${deep(20)}}}`);
    expect(ok.status).toBe(200);
  });

  it('refuses a body over the limit with a 413 before parsing it; an import route takes more', async () => {
    const big = JSON.stringify({ data: { name: 'x', description: 'y'.repeat(2 * 1024 * 1024) } });
    const r = await raw('PUT', `/points/${point}`, big);
    expect(r.status).toBe(413);
    expect(((await r.json()) as { description: string }).description).toBe('API.REQUEST_TOO_LARGE');
    // a 2 MB point list is fine
    const lines = ['name,object_type,units,address.waveform'];
    for (let i = 0, size = 0; size < 2 * 1024 * 1024; i++) {
      lines.push(`Bulk ${i} ${'x'.repeat(200)},ANALOG_VALUE,kW,constant`);
      size += lines[lines.length - 1].length + 1;
    }
    const events: (readonly Change[])[] = [];
    const off = rt.ctx.registry.onChanges((c) => events.push(c));
    try {
      const imp = await raw('POST', `/datasources/${ds}/pointlist`, lines.join('\n'), { 'Content-Type': 'text/csv' });
      expect(imp.status).toBe(200);
      expect(((await imp.json()) as { imported: number }).imported).toBe(lines.length - 1);
      // the whole import is one change event, however many points it created
      expect(events).toHaveLength(1);
      expect(events[0]).toHaveLength(lines.length - 1);
    } finally {
      off();
    }
  });

  it('login refuses an over-long password like a wrong one, and a huge body with a 413', async () => {
    const login = (password: string) => fetch(`${rt.url}/api/users/login`, { method: 'PUT', body: JSON.stringify({ data: { name: 'administrator', password } }) });
    const wrong = await login('not-the-password');
    const long = await login(`${ADMIN_PASSWORD}${'x'.repeat(5000)}`);
    expect(long.status).toBe(wrong.status);
    expect(((await long.json()) as { description: string }).description).toBe(((await wrong.json()) as { description: string }).description);
    const huge = await login('p'.repeat(20 * 1024 * 1024));
    expect(huge.status).toBe(413);
    expect((await login(ADMIN_PASSWORD)).status).toBe(200);
  });

  it('a write whose audit entry cannot be written is not committed and announces nothing', async () => {
    const before = pointRow();
    const events: (readonly Change[])[] = [];
    const off = rt.ctx.registry.onChanges((c) => events.push(c));
    const record = rt.ctx.audit.record.bind(rt.ctx.audit);
    rt.ctx.audit.record = (e) => {
      if (e.result === 'ok') throw new Error('disk full');
      return record(e);
    };
    try {
      const r = await rt.api('PUT', `/points/${point}`, { name: 'Renamed', high_limit: 99 });
      expect(r.status).toBe(500);
    } finally {
      rt.ctx.audit.record = record;
      off();
    }
    expect(pointRow()).toEqual(before);
    expect(events).toHaveLength(0);
    const failed = rt.ctx.store.db.prepare("SELECT result FROM audit_log WHERE target = ? ORDER BY id DESC LIMIT 1").get(`points:${point}`) as { result: string };
    expect(failed.result).toBe('failed');
  });

  it('audits what changed, bounded, not the whole body', async () => {
    const r = await rt.api('PUT', `/points/${point}`, { name: 'P1', high_limit: 123, description: 'd'.repeat(10_000) });
    expect(r.status).toBe(200);
    const row = rt.ctx.store.db.prepare("SELECT old_value, new_value FROM audit_log WHERE action = 'config.update' AND target = ? ORDER BY id DESC LIMIT 1").get(`points:${point}`) as {
      old_value: string;
      new_value: string;
    };
    const changed = JSON.parse(row.new_value) as Record<string, unknown>;
    expect(Object.keys(changed).sort()).toEqual(['description', 'high_limit']);
    expect(changed.high_limit).toBe(123);
    expect(JSON.parse(row.old_value)).toMatchObject({ high_limit: null });
    expect(row.new_value.length).toBeLessThan(5000);
  });

  it('pages the audit log with a hard maximum, refuses a bad limit, streams every row as CSV', async () => {
    const ins = rt.ctx.store.db.prepare("INSERT INTO audit_log (utc_date_time, user_id, user_name, action, target, result) VALUES (?, NULL, 'bulk', 'bulk.test', ?, 'ok')");
    rt.ctx.store.tx(() => {
      for (let i = 0; i < 2500; i++) ins.run(new Date().toISOString(), `t${i}`);
    });
    for (const bad of ['abc', '0', '-1', '1e3', '1.5']) {
      const r = await rt.api<{ field: string }>('GET', `/auditlogs?limit=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.field).toBe('limit');
    }
    expect((await rt.api<unknown[]>('GET', '/auditlogs?action=bulk.')).body).toHaveLength(1000);
    // asking for more than a page gets a page
    expect((await rt.api<unknown[]>('GET', '/auditlogs?action=bulk.&limit=100000')).body).toHaveLength(1000);
    const page2 = (await rt.api<{ target: string }[]>('GET', '/auditlogs?action=bulk.&limit=10&offset=10')).body;
    expect(page2.map((r) => r.target)).toEqual(Array.from({ length: 10 }, (_, i) => `t${2489 - i}`));
    const csv = await (await raw('GET', '/auditlogs.csv?action=bulk.', undefined)).text();
    const lines = csv.trim().split('\r\n');
    expect(lines).toHaveLength(2501);
    expect(lines[1]).toContain(',t2499,');
    expect(lines[2500]).toContain(',t0,');
  });

  it('PUT /api/settings/historian with an empty or odd body is a 400', async () => {
    for (const body of [undefined, '', '{}', '{"data":null}', '[]', '"x"']) {
      const r = await raw('PUT', '/settings/historian', body, { 'Content-Type': 'application/json' });
      expect(r.status, String(body)).toBe(400);
    }
  });
});

describe('uploaded file names', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt?.stop());

  const multipart = (disposition: string) => {
    const b = 'XbOuNdArY';
    const body = `--${b}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${b}--\r\n`;
    return { body, type: `multipart/form-data; boundary=${b}` };
  };

  it('reads file names from Content-Disposition, tolerating broken encodings', () => {
    expect(dispositionFileName(`filename*=UTF-8''%E2%82%AC%20rates.pdf`)).toBe('€ rates.pdf');
    expect(dispositionFileName(`filename*=UTF-8''100%25%zz.txt`)).toBe('100%%zz.txt');
    expect(dispositionFileName(`filename="a \\"b\\".txt"`)).toBe('a "b".txt');
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('..')).toBeNull();
    expect(cleanFileName('a\u0000b\u202e.txt')).toBe('a_b_.txt');
    expect(diskName(7, '../x/€ ü.tar.gz')).toBe('7-x_.tar.gz');
    expect(Buffer.byteLength(diskName(7, 'é'.repeat(254)))).toBeLessThan(130);
  });

  for (const kind of ['knowledgefiles', 'offlinemeterfiles', 'energyplanfiles', 'costfiles', 'datarepairfiles']) {
    it(`${kind}: odd names upload and restore inside the data directory`, async () => {
      const names = [`filename*=UTF-8''%E0%A4%A%ZZbroken.txt`, `filename="${'n'.repeat(250)}.txt"`, `filename="..%2F..%2F..%2Ftmp%2Fowned.txt"`, `filename*=UTF-8''..%2F..%2Fowned.txt`, `filename="con\u00e9 <>:|?*.txt"`];
      for (const d of names) {
        const { body, type } = multipart(d);
        const up = await fetch(`${rt.url}/api/${kind}`, { method: 'POST', headers: { ...rt.headers, 'Content-Type': type }, body });
        expect(up.status, d).toBe(201);
        const row = (await up.json()) as { id: number; file_name: string };
        expect(row.file_name).not.toMatch(/[/\\]/);
        const rs = await rt.api<{ restored_path: string }>('GET', `/${kind}/${row.id}/restore`);
        expect(rs.status, d).toBe(200);
        const restored = path.resolve(rs.body.restored_path);
        expect(restored.startsWith(path.resolve(rt.dataDir, 'files') + path.sep)).toBe(true);
        expect(fs.readFileSync(restored, 'utf8')).toBe('hello');
      }
    });
  }
});
