import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/core/api/errors';
import { fastTime, parseHistoryBody, parseHistoryCsv, parseHistoryJson, scanHistoryJson } from '../../src/core/energy/history-format';

const rowsOf = (s: { ts: Float64Array; value: Float64Array; length: number }) => Array.from({ length: s.length }, (_, i) => [s.ts[i], s.value[i]]);
const fieldOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return { field: (e as ApiError).field, message: (e as Error).message };
  }
  throw new Error('no error');
};

describe('history import formats', () => {
  it('reads the timestamps the general parser reads, to the millisecond', () => {
    const cases: [string, number][] = [
      ['2026-03-28T23:00:00Z', Date.UTC(2026, 2, 28, 23)],
      ['2026-03-28T23:00Z', Date.UTC(2026, 2, 28, 23)],
      ['2026-03-28 23:00:00z', Date.UTC(2026, 2, 28, 23)],
      ['2026-03-29T01:30:15.5+02:00', Date.UTC(2026, 2, 28, 23, 30, 15, 500)],
      ['2026-03-29T01:30:15.123456789+0200', Date.UTC(2026, 2, 28, 23, 30, 15, 123)],
      ['2026-03-28T17:30:00-05:30', Date.UTC(2026, 2, 28, 23)],
      ['2026-03-29T09:00:00+10', Date.UTC(2026, 2, 28, 23)],
      ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ];
    for (const [text, ms] of cases) {
      expect(fastTime(text, 0, text.length), text).toBe(ms);
      expect(rowsOf(parseHistoryBody({ data: [{ utc_date_time: text, value: 1 }] })), text).toEqual([[ms, 1]]);
    }
    // what the scanner leaves to the general path (which accepts or refuses it)
    for (const text of ['2026-03-28T23:00:00', '2025-02-29T00:00:00Z', '2026-03-28T24:00:00Z', '2026-03-28T23:00:60Z', '2026-03-28T23:00:00+15:00', '0099-01-01T00:00:00Z', '2026-3-28T23:00:00Z', '2026-03-28t23:00:00Z']) {
      expect(fastTime(text, 0, text.length), text).toBeNaN();
    }
  });

  it('scans the usual JSON shape into the same values as JSON.parse and a check per row', () => {
    const data = [
      { utc_date_time: '2026-01-01T00:00:00Z', value: 0 },
      { value: -12.5, utc_date_time: '2026-01-01T00:01:00+01:00' },
      { utc_date_time: '2026-01-01T00:02:00.250Z', value: 1.5e3 },
      { utc_date_time: '2026-01-01T00:03:00Z', value: 123456789.123 },
      { utc_date_time: '2026-01-01T00:04:00Z', value: 0.1 },
    ];
    const compact = JSON.stringify({ data });
    const pretty = JSON.stringify({ data }, null, 2).replace(/\n/g, '\r\n');
    const expected = rowsOf(parseHistoryBody({ data }));
    expect(expected).toEqual([
      [Date.UTC(2026, 0, 1), 0],
      [Date.UTC(2025, 11, 31, 23, 1), -12.5],
      [Date.UTC(2026, 0, 1, 0, 2, 0, 250), 1500],
      [Date.UTC(2026, 0, 1, 0, 3), 123456789.123],
      [Date.UTC(2026, 0, 1, 0, 4), 0.1],
    ]);
    expect(rowsOf(scanHistoryJson(compact)!)).toEqual(expected);
    expect(rowsOf(scanHistoryJson(pretty)!)).toEqual(expected);
  });

  it('leaves other shapes to the general path, which accepts them or names the bad row', () => {
    // a numeric string, an extra key, an escaped key: not scanned, still imported
    for (const body of [
      '{"data":[{"utc_date_time":"2026-01-01T00:00:00Z","value":"12.5"}]}',
      '{"data":[{"utc_date_time":"2026-01-01T00:00:00Z","value":12.5,"quality":"good"}]}',
      '{"data":[{"utc_date_time":"2026-01-01T00:00:00Z","valu\\u0065":12.5}]}',
      '{"source":"logger","data":[{"utc_date_time":"2026-01-01T00:00:00Z","value":12.5}]}',
    ]) {
      expect(scanHistoryJson(body), body).toBeNull();
      expect(rowsOf(parseHistoryJson(body)), body).toEqual([[Date.UTC(2026, 0, 1), 12.5]]);
    }
    const bad = (body: string) => fieldOf(() => parseHistoryJson(body)).field;
    expect(bad('{"data":[{"utc_date_time":"2026-01-01T00:00:00Z","value":1},{"utc_date_time":"2026-01-01T01:00:00","value":2}]}')).toBe('data[1].utc_date_time');
    expect(bad('{"data":[{"utc_date_time":"2026-02-30T00:00:00Z","value":1}]}')).toBe('data[0].utc_date_time');
    expect(bad('{"data":[{"utc_date_time":"2026-01-01T00:00:00Z","value":null}]}')).toBe('data[0].value');
    expect(bad('{"data":[{"utc_date_time":"2026-01-01T00:00:00Z"}]}')).toBe('data[0].value');
    expect(bad('{"data":[{"utc_date_time":"2026-01-01T00:00:00Z","value":1},7]}')).toBe('data[1]');
    expect(bad('{"data":[]}')).toBe('data');
    expect(bad('{"rows":[]}')).toBe('data');
    expect(fieldOf(() => parseHistoryJson('{"data":[{"utc_date_time":"2026-01-01T00:00:00Z","value":1}')).message).toMatch(/not valid JSON/);
  });

  it('reads CSV in place: quotes, extra columns, a BOM, CRLF and blank lines; a bad line is named', () => {
    const csv = '\uFEFFmeter,"value",utc_date_time\r\nM1, 10 ,2026-01-01T00:00:00Z\r\n\r\nM1,"11.5","2026-01-01T01:00:00+01:00"\r\nM1,+12,2026-01-01T02:00:00Z\r\n';
    expect(rowsOf(parseHistoryCsv(Buffer.from(csv)))).toEqual([
      [Date.UTC(2026, 0, 1), 10],
      [Date.UTC(2026, 0, 1), 11.5],
      [Date.UTC(2026, 0, 1, 2), 12],
    ]);
    const bad = (text: string) => fieldOf(() => parseHistoryCsv(Buffer.from(text)));
    expect(bad('utc_date_time,value\n2026-01-01T00:00:00Z,1\n2026-01-01T01:00:00Z,x\n')).toMatchObject({ field: 'value', message: expect.stringMatching(/row 3/) });
    expect(bad('utc_date_time,value\n2026-01-01T00:00:00Z,1\n\n2026-01-01T01:00:00,2\n')).toMatchObject({ field: 'utc_date_time', message: expect.stringMatching(/row 4/) });
    expect(bad('utc_date_time,value\n2026-01-01T00:00:00Z\n')).toMatchObject({ field: 'value', message: expect.stringMatching(/row 2/) });
    expect(bad('time,value\n2026-01-01T00:00:00Z,1\n').field).toBe('header');
    expect(bad('utc_date_time,value\n').field).toBe('data');
  });
});
