/**
 * The wire formats of a history import, read into two typed arrays (no object per sample):
 * - JSON `{"data":[{"utc_date_time":"2026-03-28T23:00:00Z","value":1234.5}, ...]}`;
 * - text/csv with the header `utc_date_time,value` (other columns allowed, cells may be quoted).
 * A year of 1-minute readings is ~35 MB of JSON. The common shape is read by a tight scanner over the text
 * (timestamps decoded from their digits); whatever it does not recognise (escapes, other keys, a value sent as
 * a string, a bad row) is handed to the general path (JSON.parse and a check per row), which accepts the same
 * things and names the first bad row in its 400. So the scanner only ever decides how fast, never what.
 */
import { badRequest } from '../api/errors';
import { parseBoundedJson } from '../api/limits';
import { parseTime } from '../historian/feature';

const ZONED = /(Z|[+-]\d{2}(:?\d{2})?)$/i;
/** rows per import (ten years of 10-minute readings) */
export const MAX_IMPORT_ROWS = 600_000;

/** samples in the order they were sent */
export interface HistorySeries {
  ts: Float64Array;
  value: Float64Array;
  length: number;
}

class Builder {
  ts: Float64Array;
  value: Float64Array;
  length = 0;
  constructor(capacity: number) {
    const c = Math.max(16, Math.min(capacity, MAX_IMPORT_ROWS + 1));
    this.ts = new Float64Array(c);
    this.value = new Float64Array(c);
  }
  push(ts: number, value: number): void {
    if (this.length === this.ts.length) {
      const ts2 = new Float64Array(this.ts.length * 2);
      const v2 = new Float64Array(this.ts.length * 2);
      ts2.set(this.ts);
      v2.set(this.value);
      this.ts = ts2;
      this.value = v2;
    }
    this.ts[this.length] = ts;
    this.value[this.length++] = value;
  }
  done(): HistorySeries {
    if (!this.length) throw badRequest('API.NO_HISTORY_ROWS', 'there is no row to import', 'data');
    return { ts: this.ts.subarray(0, this.length), value: this.value.subarray(0, this.length), length: this.length };
  }
}

const tooMany = () => badRequest('API.TOO_MANY_ROWS', `at most ${MAX_IMPORT_ROWS} rows per import`, 'data');

function rowError(where: string, field: string, why: string): never {
  throw badRequest('API.INVALID_HISTORY_ROW', `${where}: ${why}`, field, { row: where });
}

/** the general check of one row: a zoned ISO 8601 time and a number (or a numeric string) */
function checkRow(ts: unknown, value: unknown, where: string, field: (k: string) => string): [number, number] {
  if (typeof ts !== 'string' || !ZONED.test(ts.trim())) rowError(where, field('utc_date_time'), 'utc_date_time must be an ISO 8601 date and time with a zone, e.g. 2026-03-28T23:00:00Z');
  let t: number;
  try {
    t = parseTime(ts, 'utc_date_time');
  } catch {
    rowError(where, field('utc_date_time'), `"${String(ts).slice(0, 40)}" is not a valid date and time`);
  }
  const v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof v !== 'number' || !Number.isFinite(v)) rowError(where, field('value'), 'value must be a number');
  return [t, v];
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * A zoned timestamp `YYYY-MM-DD[T ]HH:MM[:SS[.fff]](Z|±HH[[:]MM])` in s[a, b), decoded from its digits; NaN when it
 * is anything else (the general path then decides). Accepts exactly what parseTime accepts of that shape.
 */
export function fastTime(s: string, a: number, b: number): number {
  if (b - a < 17) return NaN;
  const y1 = s.charCodeAt(a) - 48;
  const y2 = s.charCodeAt(a + 1) - 48;
  const y3 = s.charCodeAt(a + 2) - 48;
  const y4 = s.charCodeAt(a + 3) - 48;
  const mo1 = s.charCodeAt(a + 5) - 48;
  const mo2 = s.charCodeAt(a + 6) - 48;
  const d1 = s.charCodeAt(a + 8) - 48;
  const d2 = s.charCodeAt(a + 9) - 48;
  const h1 = s.charCodeAt(a + 11) - 48;
  const h2 = s.charCodeAt(a + 12) - 48;
  const mi1 = s.charCodeAt(a + 14) - 48;
  const mi2 = s.charCodeAt(a + 15) - 48;
  // each a digit: (x >>> 0) > 9 for anything else, negative ones included
  if ((y1 >>> 0) > 9 || (y2 >>> 0) > 9 || (y3 >>> 0) > 9 || (y4 >>> 0) > 9 || (mo1 >>> 0) > 9 || (mo2 >>> 0) > 9) return NaN;
  if ((d1 >>> 0) > 9 || (d2 >>> 0) > 9 || (h1 >>> 0) > 9 || (h2 >>> 0) > 9 || (mi1 >>> 0) > 9 || (mi2 >>> 0) > 9) return NaN;
  if (s.charCodeAt(a + 4) !== 45 || s.charCodeAt(a + 7) !== 45 || s.charCodeAt(a + 13) !== 58) return NaN;
  const sep = s.charCodeAt(a + 10);
  if (sep !== 84 && sep !== 32) return NaN;
  const year = y1 * 1000 + y2 * 100 + y3 * 10 + y4;
  const month = mo1 * 10 + mo2;
  const day = d1 * 10 + d2;
  const hour = h1 * 10 + h2;
  const minute = mi1 * 10 + mi2;
  let i = a + 16;
  let second = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58) {
    const s1 = s.charCodeAt(i + 1) - 48;
    const s2 = s.charCodeAt(i + 2) - 48;
    if (i + 3 > b || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) return NaN;
    second = s1 * 10 + s2;
    i += 3;
    if (s.charCodeAt(i) === 46) {
      let k = 0;
      let scale = 100;
      for (i++; i < b; i++, k++) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        if (k < 3) ms += c * scale;
        scale /= 10;
      }
      if (k < 1 || k > 9) return NaN;
    }
  }
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS[month - 1] + (leap ? 1 : 0)) return NaN;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const z = s.charCodeAt(i);
  if ((z === 90 || z === 122) && i + 1 === b) return local;
  if (z !== 43 && z !== 45) return NaN;
  const rest = b - i - 1;
  if (rest !== 2 && rest !== 4 && rest !== 5) return NaN;
  const o1 = s.charCodeAt(i + 1) - 48;
  const o2 = s.charCodeAt(i + 2) - 48;
  if (o1 < 0 || o1 > 9 || o2 < 0 || o2 > 9) return NaN;
  let om = 0;
  if (rest > 2) {
    const m = rest === 5 ? i + 4 : i + 3;
    if (rest === 5 && s.charCodeAt(i + 3) !== 58) return NaN;
    const m1 = s.charCodeAt(m) - 48;
    const m2 = s.charCodeAt(m + 1) - 48;
    if (m1 < 0 || m1 > 9 || m2 < 0 || m2 > 9) return NaN;
    om = m1 * 10 + m2;
  }
  const oh = o1 * 10 + o2;
  if (oh > 14 || om > 59) return NaN;
  return local - (oh * 60 + om) * (z === 43 ? 60_000 : -60_000);
}

/** the end of a JSON number starting at s[i], or -1 */
function numberEnd(s: string, i: number): number {
  let c = s.charCodeAt(i);
  if (c === 45) c = s.charCodeAt(++i);
  if (c === 48) c = s.charCodeAt(++i);
  else if (c >= 49 && c <= 57) while (isDigit((c = s.charCodeAt(++i))));
  else return -1;
  if (c === 46) {
    if (!isDigit(s.charCodeAt(++i))) return -1;
    while (isDigit((c = s.charCodeAt(++i))));
  }
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    if (!isDigit(c)) return -1;
    while (isDigit(s.charCodeAt(++i)));
  }
  return i;
}

const KEY_TIME = 'utc_date_time';
const KEY_VALUE = 'value';
const KEY_DATA = 'data';

/** the common JSON shape, scanned; null when the text has anything else in it */
export function scanHistoryJson(s: string): HistorySeries | null {
  const n = s.length;
  let i = 0;
  const ws = () => {
    for (let c = s.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = s.charCodeAt(++i));
  };
  /** a plain key (no escapes) equal to `k` followed by its colon */
  const key = (k: string): boolean => {
    if (s.charCodeAt(i) !== 34 || !s.startsWith(k, i + 1) || s.charCodeAt(i + 1 + k.length) !== 34) return false;
    i += k.length + 2;
    ws();
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    ws();
    return true;
  };
  ws();
  if (s.charCodeAt(i) !== 123) return null;
  i++;
  ws();
  if (!key(KEY_DATA) || s.charCodeAt(i) !== 91) return null;
  i++;
  ws();
  const out = new Builder(Math.ceil(n / 48));
  if (s.charCodeAt(i) === 93) return null;
  for (;;) {
    if (s.charCodeAt(i) !== 123) return null;
    i++;
    ws();
    let ts = NaN;
    let value = NaN;
    for (let k = 0; k < 2; k++) {
      if (Number.isNaN(ts) && key(KEY_TIME)) {
        if (s.charCodeAt(i) !== 34) return null;
        const a = i + 1;
        const b = s.indexOf('"', a);
        if (b < 0) return null;
        ts = fastTime(s, a, b);
        if (Number.isNaN(ts)) return null;
        i = b + 1;
      } else if (Number.isNaN(value) && key(KEY_VALUE)) {
        const e = numberEnd(s, i);
        if (e < 0) return null;
        value = Number(s.slice(i, e));
        if (!Number.isFinite(value)) return null;
        i = e;
      } else return null;
      ws();
      if (k === 0) {
        if (s.charCodeAt(i) !== 44) return null;
        i++;
        ws();
      }
    }
    if (s.charCodeAt(i) !== 125) return null;
    i++;
    if (out.length === MAX_IMPORT_ROWS) return null;
    out.push(ts, value);
    ws();
    const c = s.charCodeAt(i);
    i++;
    if (c === 93) break;
    if (c !== 44) return null;
    ws();
  }
  ws();
  if (s.charCodeAt(i) !== 125) return null;
  i++;
  ws();
  return i === n ? out.done() : null;
}

/** a JSON body: the scanner, else the general path (which names the first bad row) */
export function parseHistoryJson(text: string): HistorySeries {
  const fast = scanHistoryJson(text);
  if (fast) return fast;
  return parseHistoryBody(parseBoundedJson(text));
}

/** an already parsed JSON body, checked row by row */
export function parseHistoryBody(body: unknown): HistorySeries {
  const data = body && typeof body === 'object' && !Array.isArray(body) ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":[{"utc_date_time":"2026-03-28T23:00:00Z","value":1234.5}, ...]} or text/csv', 'data');
  if (data.length > MAX_IMPORT_ROWS) throw tooMany();
  const out = new Builder(data.length);
  for (let i = 0; i < data.length; i++) {
    const r = data[i] as Record<string, unknown> | null;
    if (!r || typeof r !== 'object') rowError(`data[${i}]`, `data[${i}]`, 'each row must be {"utc_date_time","value"}');
    const [t, v] = checkRow(r.utc_date_time, r.value, `data[${i}]`, (k) => `data[${i}].${k}`);
    out.push(t, v);
  }
  return out.done();
}

/** the bounds of a CSV cell without the spaces and quotes around it (set by cellAt; no tuple per cell) */
let cellA = 0;
let cellB = 0;

/** cell number `c` of the line s[from, end) whose cells start at `starts` */
function cellAt(s: string, starts: number[], c: number, end: number): void {
  if (c >= starts.length) {
    cellA = cellB = end;
    return;
  }
  let a = starts[c];
  let b = c + 1 < starts.length ? starts[c + 1] - 1 : end;
  while (a < b && s.charCodeAt(a) <= 32) a++;
  while (b > a && s.charCodeAt(b - 1) <= 32) b--;
  if (a < b && s.charCodeAt(a) === 34) a++;
  if (b > a && s.charCodeAt(b - 1) === 34) b--;
  cellA = a;
  cellB = b;
}

/** text/csv with the header utc_date_time,value; each line is read in place, a line the scanner does not take is checked in full */
export function parseHistoryCsv(body: Buffer): HistorySeries {
  const s = body.toString('utf8');
  let i = s.charCodeAt(0) === 0xfeff ? 1 : 0;
  let e = s.indexOf('\n', i);
  if (e < 0) e = s.length;
  const header = s
    .slice(i, e)
    .replace(/\r$/, '')
    .split(',')
    .map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  const ti = header.indexOf('utc_date_time');
  const vi = header.indexOf('value');
  if (ti < 0 || vi < 0) throw badRequest('API.INVALID_HISTORY_HEADER', 'the CSV needs the header utc_date_time,value', 'header');
  const out = new Builder(Math.ceil(s.length / 32));
  const starts: number[] = [];
  for (let line = 2; e < s.length; line++) {
    i = e + 1;
    e = s.indexOf('\n', i);
    if (e < 0) e = s.length;
    let end = e;
    if (end > i && s.charCodeAt(end - 1) === 13) end--;
    let blank = true;
    for (let k = i; k < end && blank; k++) blank = s.charCodeAt(k) <= 32;
    if (blank) continue;
    starts.length = 0;
    starts.push(i);
    for (let k = s.indexOf(',', i); k >= 0 && k < end; k = s.indexOf(',', k + 1)) starts.push(k + 1);
    cellAt(s, starts, ti, end);
    const ta = cellA;
    const tb = cellB;
    cellAt(s, starts, vi, end);
    const va = cellA;
    const vb = cellB;
    let t = fastTime(s, ta, tb);
    let v = numberEnd(s, va) === vb ? Number(s.slice(va, vb)) : NaN;
    if (Number.isNaN(t) || !Number.isFinite(v)) [t, v] = checkRow(s.slice(ta, tb), s.slice(va, vb), `row ${line}`, (k) => k);
    if (out.length === MAX_IMPORT_ROWS) throw tooMany();
    out.push(t, v);
  }
  return out.done();
}
