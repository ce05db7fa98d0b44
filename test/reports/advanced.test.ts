import type { AddressInfo } from 'node:net';
import ExcelJS from 'exceljs';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdvancedReports } from '../../src/core/reports/advanced';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { buildPlant, riseM1, riseM2, type Plant } from './fixture';

// the runtime's own scheduler stays idle: this test drives a scheduler with its own clock
process.env.SWITCHYARD_ADVANCED_REPORTS_INTERVAL_MS = '0';

let rt: TestRuntime;
let plant: Plant;
const mails: string[] = [];
let smtp: SMTPServer;
let smtpPort = 0;

beforeAll(async () => {
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, cb) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        mails.push(data);
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  rt = await startTestRuntime();
  plant = await buildPlant(rt);
}, 60_000);
afterAll(async () => {
  await rt?.stop();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  delete process.env.SWITCHYARD_ADVANCED_REPORTS_INTERVAL_MS;
});

/** the headers and the attachment of a raw multipart e-mail */
function parseMail(raw: string): { headers: string; attachment: { filename: string; content: Buffer } | null } {
  const [headers] = raw.split(/\r?\n\r?\n/, 1);
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headers)?.[1];
  if (!boundary) return { headers, attachment: null };
  for (const part of raw.split(`--${boundary}`)) {
    const m = /filename="?([^";\r\n]+)"?/i.exec(part);
    if (!m) continue;
    const body = part.split(/\r?\n\r?\n/).slice(1).join('\n');
    return { headers, attachment: { filename: m[1], content: Buffer.from(body.replace(/\s+/g, ''), 'base64') } };
  }
  return { headers, attachment: null };
}

const rowsOf = async (bytes: Buffer) => {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as never);
  const out: unknown[][] = [];
  wb.worksheets[0].eachRow((r) => out.push((r.values as unknown[]).slice(1)));
  return { rows: out, images: wb.worksheets[0].getImages().length };
};

describe('advanced reports', () => {
  it('runs at next_run_datetime (missed slots caught up), stores and lists the files, e-mails them once a server is there, schedules the next run', async () => {
    const created = await rt.api<{ id: number }>('POST', '/advancedreports', {
      name: 'Site daily',
      expression: JSON.stringify({ space_id: plant.site, schedule: 'daily', periodtype: 'hourly', recipients: ['energy@plant.test'] }),
      is_enabled: true,
      next_run_datetime: '2026-03-03T06:00:00',
      is_run_immediately: false,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    let now = Date.parse('2026-03-04T06:00:00Z'); // 07:00 in Berlin: two slots are due
    const logs: string[] = [];
    const sched = new AdvancedReports({ store: rt.ctx.store, services: rt.ctx.services, values: rt.ctx.values }, { intervalMs: 0, now: () => now, log: (l) => logs.push(l) });

    // no email server yet: the files are made, the e-mails fail and wait for a retry
    await sched.tick();
    const list = (await rt.api<Record<string, unknown>[]>('GET', '/reports/advancedreports')).body.filter((r) => r.advanced_report_id === created.body.id);
    expect(list).toHaveLength(2);
    expect(list.every((r) => r.status === 'done' && r.email_status === 'failed')).toBe(true);
    expect(logs.some((l) => l.includes('no email server'))).toBe(true);
    const first = list.find((r) => r.reporting_period_start_datetime === '2026-03-02T00:00:00')!;
    expect(first.reporting_period_end_datetime).toBe('2026-03-03T00:00:00');
    const ar = (await rt.api<{ next_run_datetime: string; last_run_datetime: string | null }>('GET', `/advancedreports/${created.body.id}`)).body;
    expect(ar.next_run_datetime).toBe('2026-03-05T06:00:00');
    expect(ar.last_run_datetime).not.toBeNull();

    // the stored file holds the hourly energy of 2026-03-02 and a chart
    const got = (await rt.api<{ file_bytes_base64: string; file_name: string }>('GET', `/reports/advancedreports/${first.id}`)).body;
    expect(got.file_name).toMatch(/\.xlsx$/);
    const { rows, images } = await rowsOf(Buffer.from(got.file_bytes_base64, 'base64'));
    expect(images).toBe(1);
    for (const h of [0, 5, 12, 23]) {
      const label = `2026-03-02T${String(h).padStart(2, '0')}:00:00`;
      expect(rows.find((r) => r[0] === label)?.[1]).toBeCloseTo(riseM1(24 + h) + riseM2(24 + h), 9);
    }

    // the email server appears; after the retry delay both e-mails go out with the workbook attached
    const srv = await rt.api('POST', '/emailservers', { host: '127.0.0.1', port: smtpPort, requires_authentication: false, from_addr: 'reports@plant.test' });
    expect(srv.status, JSON.stringify(srv.body)).toBe(201);
    now += 2 * 60_000;
    await sched.tick();
    expect(mails).toHaveLength(2);
    const mail = parseMail(mails[0]);
    expect(mail.headers).toMatch(/^To: energy@plant\.test/m);
    expect(mail.headers).toMatch(/^Subject: Site daily/m);
    expect(mail.attachment?.filename).toMatch(/\.xlsx$/);
    expect((await rowsOf(mail.attachment!.content)).images).toBe(1);
    const after = (await rt.api<Record<string, unknown>[]>('GET', '/reports/advancedreports')).body.filter((r) => r.advanced_report_id === created.body.id);
    expect(after.every((r) => r.email_status === 'sent')).toBe(true);
    // nothing is sent twice
    now += 60 * 60_000;
    await sched.tick();
    expect(mails).toHaveLength(2);
  }, 120_000);

  it('a failing build is logged and retried, not dropped; PUT .../run builds at once and the file downloads', async () => {
    const bad = await rt.api<{ id: number }>('POST', '/advancedreports', { name: 'Gone space', expression: JSON.stringify({ space_id: 99999 }), is_enabled: true, next_run_datetime: '2026-03-04T00:00:00', is_run_immediately: false });
    expect(bad.status).toBe(201);
    let now = Date.parse('2026-03-04T12:00:00Z');
    const logs: string[] = [];
    const sched = new AdvancedReports({ store: rt.ctx.store, services: rt.ctx.services, values: rt.ctx.values }, { intervalMs: 0, now: () => now, log: (l) => logs.push(l) });
    await sched.tick();
    const failed = (await rt.api<Record<string, unknown>[]>('GET', '/reports/advancedreports')).body.find((r) => r.advanced_report_id === bad.body.id)!;
    expect(failed.status).toBe('failed');
    expect(failed.attempts).toBe(1);
    expect(String(failed.last_error)).toMatch(/not found/i);
    expect(logs.some((l) => l.includes('Gone space') && l.includes('retried later'))).toBe(true);
    now += 5 * 60_000;
    await sched.tick();
    const again = (await rt.api<Record<string, unknown>[]>('GET', '/reports/advancedreports')).body.find((r) => r.id === failed.id)!;
    expect(again.attempts).toBe(2);
    expect((await rt.api('GET', `/reports/advancedreports/${failed.id}/download`)).status).toBe(404);

    const good = await rt.api<{ id: number }>('POST', '/advancedreports', { name: 'Hall monthly', expression: JSON.stringify({ space_id: plant.hall, report: 'spacecost', schedule: 'monthly' }), is_enabled: true, next_run_datetime: '2027-01-01T00:00:00', is_run_immediately: false });
    const run = await rt.api<{ id: number; status: string; report: string }>('PUT', `/advancedreports/${good.body.id}/run`, {});
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.status).toBe('done');
    expect(run.body.report).toBe('spacecost');
    const file = await fetch(`${rt.url}/api/reports/advancedreports/${run.body.id}/download`, { headers: rt.headers });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('spreadsheetml');
    expect((await rowsOf(Buffer.from(await file.arrayBuffer()))).rows[0][0]).toMatch(/^Hall monthly: /);

    const wrong = await rt.api<{ id: number }>('POST', '/advancedreports', { name: 'Wrong', expression: JSON.stringify({ space_id: plant.hall, report: 'meterenergy' }), is_enabled: true, next_run_datetime: '2027-01-01T00:00:00', is_run_immediately: false });
    const refused = await rt.api<{ field: string }>('PUT', `/advancedreports/${wrong.body.id}/run`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.field).toBe('expression');
    expect((await rt.api('DELETE', `/reports/advancedreports/${run.body.id}`)).status).toBe(204);
    expect((await rt.api('GET', `/reports/advancedreports/${run.body.id}`)).status).toBe(404);
  }, 120_000);
});
