/**
 * Store selectors return state fields or primitives: a selector that builds a new array or object on every
 * call (`useLive((s) => rows.map(...))`) re-renders forever (React error #185) and blanked whole screens.
 * This scans the renderer's hooks into the zustand stores for that shape (useShallow is the way to select lists).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** The selector passed to a store hook: from `useX(` to its closing parenthesis. */
function selectorCalls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\b(useLive|useAlarmStore)\(/g)) {
    let depth = 1;
    let i = m.index! + m[0].length;
    for (; i < text.length && depth > 0; i++) depth += text[i] === '(' ? 1 : text[i] === ')' ? -1 : 0;
    out.push(text.slice(m.index!, i));
  }
  return out;
}

const FRESH = /=>\s*(\[|\(\s*\{|\{[^}]*return\s*[[{])|\.(map|filter|flatMap|slice|concat)\(|Object\.(entries|keys|values|fromEntries|assign)\(|\bnew (Map|Set|Array)\b|\.\.\./;

describe('store selectors', () => {
  const calls = sources(SRC).flatMap((f) => selectorCalls(fs.readFileSync(f, 'utf8')).map((c) => ({ file: path.relative(SRC, f), call: c })));

  it('finds the store hooks it checks', () => {
    expect(calls.length).toBeGreaterThan(5);
  });

  it('never return a new array or object per call', () => {
    const fresh = calls.filter(({ call }) => !/^use\w+\(\s*useShallow\(/.test(call) && FRESH.test(call.replace(/\s+/g, ' ')));
    expect(fresh).toEqual([]);
  });

  it('would catch the selector that blanked Microgrids and Storage', () => {
    expect(FRESH.test('useLive((s) => rows.map((r) => s.values[r.point!]?.value))')).toBe(true);
    expect(FRESH.test('useLive((s) => ({ a: s.connected }))')).toBe(true);
    expect(FRESH.test('useLive((s) => s.values[id])')).toBe(false);
  });
});
