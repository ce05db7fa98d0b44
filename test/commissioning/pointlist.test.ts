import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CELL, parseCsv } from '../../src/core/commissioning/pointlist';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

describe('point-list import', () => {
  let rt: TestRuntime;
  let ds: number;
  const upload = async (body: BodyInit, type: string) => {
    const r = await fetch(`${rt.url}/api/datasources/${ds}/pointlist`, { method: 'POST', headers: { ...rt.headers, 'Content-Type': type }, body });
    return { status: r.status, body: (await r.json()) as { imported?: number; errors?: { row: number; field: string; message: string }[]; description?: string } };
  };
  const count = async () => (await rt.api<{ data_source: { id: number } }[]>('GET', '/points')).body.filter((p) => p.data_source.id === ds).length;

  beforeAll(async () => {
    rt = await startTestRuntime();
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'GW' })).body.id;
    ds = (await rt.api<{ id: number }>('POST', '/datasources', { name: 'Meter bus', gateway_id: gw, protocol: 'modbus-tcp', connection: '{"host":"127.0.0.1","port":1,"interval_in_seconds":3600}' })).body.id;
  });
  afterAll(async () => rt?.stop());

  it('parses RFC 4180 CSV', () => {
    expect(parseCsv('\uFEFFa,"b, with comma","c ""quoted"""\r\n1,2,3\n')).toEqual([
      ['a', 'b, with comma', 'c "quoted"'],
      ['1', '2', '3'],
    ]);
    expect(parseCsv('a,b')).toEqual([['a', 'b']]);
    expect(parseCsv('a,')).toEqual([['a', '']]);
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\n\n,\na;b\r\r\n"x"y,z"w"\n')).toEqual([
      ['a', 'b'],
      ['xy', 'z"w"'],
    ]);
    expect(parseCsv('"a\nb",c\n')).toEqual([['a\nb', 'c']]);
    expect(() => parseCsv('a,"b\n')).toThrow(/inside a quoted field/);
    // a cell no point field could hold is refused before it is copied or validated
    expect(() => parseCsv(`name\r\n${'x'.repeat(MAX_CELL + 1)}\r\n`)).toThrow(/longer than 65536/);
  });

  it('imports nothing when any row is wrong, and reports every wrong row with its field', async () => {
    const csv = [
      'name,object_type,units,high_limit,address.slave_id,address.function_code,address.offset,address.format',
      'Voltage L1,ANALOG_VALUE,V,260,1,3,0,>f',
      'Bad function,ANALOG_VALUE,V,,1,9,2,>f',
      'Bad type,ANALOG_THING,V,,1,3,4,>f',
    ].join('\n');
    const r = await upload(csv, 'text/csv');
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      expect.objectContaining({ row: 3, field: 'address' }),
      expect.objectContaining({ row: 4, field: 'object_type' }),
    ]);
    expect(r.body.errors![0].message).toMatch(/function_code/);
    expect(await count()).toBe(0);
  });

  it('imports a valid CSV and a valid .xlsx; the points read through their driver', async () => {
    const csv = ['name,object_type,units,address', 'Voltage L1,ANALOG_VALUE,V,"{""slave_id"":1,""function_code"":3,""offset"":0,""format"":"">f""}"'].join('\r\n');
    const r = await upload(csv, 'text/csv');
    expect(r.status).toBe(200);
    expect(r.body.imported).toBe(1);

    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Points');
    sheet.addRow(['name', 'object_type', 'units', 'ratio', 'address.slave_id', 'address.function_code', 'address.offset', 'address.format']);
    sheet.addRow(['Current L1', 'ANALOG_VALUE', 'A', 0.1, 1, 3, 10, 'uint16']);
    sheet.addRow(['Breaker', 'DIGITAL_VALUE', '', 1, 1, 1, 0, '']);
    const x = await upload(Buffer.from(await book.xlsx.writeBuffer()), XLSX);
    expect(x.status, JSON.stringify(x.body)).toBe(200);
    expect(x.body.imported).toBe(2);
    expect(await count()).toBe(3);
    const current = (await rt.api<{ name: string; ratio: number; address: string }[]>('GET', '/points')).body.find((p) => p.name === 'Current L1')!;
    expect(current.ratio).toBe(0.1);
    expect(JSON.parse(current.address)).toEqual({ slave_id: 1, function_code: 3, offset: 10, format: 'uint16' });
    const audit = await rt.api<{ action: string; result: string; target: string }[]>('GET', '/auditlogs?action=config.import');
    expect(audit.body.filter((a) => a.target === `datasources:${ds}/pointlist`).map((a) => a.result).sort()).toEqual(['failed', 'ok', 'ok']);
  });

  it('refuses other content types', async () => {
    const r = await upload('{}', 'application/json');
    expect(r.status).toBe(400);
  });
});
