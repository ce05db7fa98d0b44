/**
 * Only indicators blink: one definition of the blink animation in the renderer's stylesheets, used by the
 * unacknowledged marker of an alarm row and by diagram symbols; no rule fades or animates a row or its text.
 * (The e2e alarm test also reads the computed opacity and contrast of an unacknowledged row in Chromium.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const RENDERER = path.resolve(__dirname, '..', '..');

function cssFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? cssFiles(path.join(dir, e.name)) : e.name.endsWith('.css') ? [path.join(dir, e.name)] : []));
}

/** [selector, declarations] of every plain rule, media blocks flattened. */
function rules(css: string): [string, string][] {
  const out: [string, string][] = [];
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const re = /([^{}@]+)\{([^{}]*)\}/g;
  for (const m of text.matchAll(re)) out.push([m[1].trim(), m[2]]);
  return out;
}

describe('alarm blinking in the stylesheets', () => {
  const sheets = cssFiles(RENDERER).map((f) => ({ file: path.relative(RENDERER, f), css: fs.readFileSync(f, 'utf8') }));

  it('defines the blink animation once', () => {
    const defs = sheets.flatMap((s) => [...s.css.matchAll(/@keyframes\s+(sy-blink[\w-]*)/g)].map((m) => `${s.file}: ${m[1]}`));
    expect(defs).toEqual(['features/alarms/alarms.css: sy-blink']);
  });

  it('animates only the indicators, never a row or its cells', () => {
    const animated = sheets.flatMap((s) => rules(s.css).filter(([, decl]) => /animation\s*:\s*sy-blink/.test(decl)).map(([sel]) => sel));
    expect(animated.sort()).toEqual(['.sy-alarm-blink', '.sy-unack-mark']);
    for (const s of sheets) {
      for (const [sel, decl] of rules(s.css)) {
        if (/\btr\b|\btd\b|sy-unack(?!-mark)/.test(sel)) expect(decl, `${s.file}: ${sel}`).not.toMatch(/animation|opacity/);
      }
    }
  });
});
