// @vitest-environment jsdom
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagramBinder, parseBinding } from './bindings';
import { sanitizeSvg } from './sanitize';

const DIR = path.resolve(__dirname, '..', '..', '..', '..', 'resources', 'symbols');
const KINDS = ['text', 'fill', 'stroke', 'visible', 'rotate', 'level', 'flow', 'blink', 'state'];
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.svg'));

describe('symbol library', () => {
  it('has the symbols a single-line diagram needs', () => {
    for (const s of ['breaker', 'disconnector', 'transformer', 'busbar', 'meter', 'pv-array', 'battery', 'inverter-pcs', 'ev-charger', 'generator', 'load', 'grid-connection']) expect(files).toContain(`${s}.svg`);
  });

  for (const file of files) {
    it(`${file} is valid SVG, survives sanitizing intact, and binds`, () => {
      const source = fs.readFileSync(path.join(DIR, file), 'utf8');
      const doc = new DOMParser().parseFromString(source, 'image/svg+xml');
      expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
      expect(doc.documentElement.tagName).toBe('svg');
      const bound = doc.querySelectorAll('[data-point]');
      expect(bound.length).toBeGreaterThan(0);
      for (const el of Array.from(bound)) for (const b of parseBinding(el.getAttribute('data-binding') ?? '')) expect(KINDS).toContain(b.kind);
      const host = document.createElement('div');
      host.innerHTML = sanitizeSvg(source.replace(/data-point="0"/g, 'data-point="7"'));
      expect(host.querySelectorAll('[data-point]').length).toBe(bound.length);
      const binder = new DiagramBinder(host);
      expect(binder.update({ 7: { value: 1, quality: 'good', utc_date_time: '2026-11-22T10:00:00Z' } })).toBe(bound.length);
    });
  }
});
