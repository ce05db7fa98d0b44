// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { DiagramBinder } from './bindings';
import { makeSymbolsFocusable, nameSymbol } from './Diagram';

describe('diagram symbols by keyboard', () => {
  it('makes each outermost bound element a focusable button named after its point, with its state', () => {
    document.body.innerHTML = `<div id="host"><svg>
      <g id="brk" data-point="7" data-binding="state:0=open,1=closed"><rect data-point="7" data-binding="fill:states=0:#e6e6e6,1:#333"/></g>
      <text id="val" data-point="8" data-binding="text:format=0.0;units=kW">---</text>
      <rect id="plain"/>
    </svg></div>`;
    const host = document.getElementById('host')!;
    const binder = new DiagramBinder(host);
    const symbols = makeSymbolsFocusable(host);
    expect(symbols.map((s) => s.id)).toEqual(['brk', 'val']);
    for (const s of symbols) {
      expect(s.getAttribute('tabindex')).toBe('0');
      expect(s.getAttribute('role')).toBe('button');
    }
    expect(host.querySelector('rect[data-point]')!.hasAttribute('tabindex')).toBe(false);
    expect(document.getElementById('plain')!.hasAttribute('tabindex')).toBe(false);
    expect(document.getElementById('val')!.getAttribute('aria-label')).toBe('Point 8, open faceplate');
    const names = new Map([
      [7, 'PV Breaker'],
      [8, 'PV Power'],
    ]);
    for (const s of symbols) nameSymbol(s, names.get(Number(s.getAttribute('data-point'))));
    expect(document.getElementById('val')!.getAttribute('aria-label')).toBe('PV Power, open faceplate');
    binder.update({ 7: { value: 0, quality: 'good', utc_date_time: '2026-12-01T00:00:00Z' } });
    expect(document.getElementById('brk')!.getAttribute('aria-label')).toBe('PV Breaker: open');
    binder.update({ 7: { value: 1, quality: 'good', utc_date_time: '2026-12-01T00:00:01Z' } });
    expect(document.getElementById('brk')!.getAttribute('aria-label')).toBe('PV Breaker: closed');
  });
});
