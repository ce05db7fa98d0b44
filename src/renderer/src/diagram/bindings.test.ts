// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import type { LiveValue } from '../live/liveStore';
import { DiagramBinder, parseBinding } from './bindings';

const svg = (inner: string) => {
  const host = document.createElement('div');
  host.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg">${inner}</svg>`;
  return host;
};
const good = (value: number | string | null): LiveValue => ({ value, quality: 'good', utc_date_time: '2026-11-22T10:00:00Z' });

describe('binding format', () => {
  it('parses kinds and options', () => {
    expect(parseBinding('text:format=0.0;units=kW|fill:states=0:#eee,1:#333|level:0,100|blink:alarm|state:0=open,1=closed')).toEqual([
      { kind: 'text', options: { format: '0.0', units: 'kW' } },
      { kind: 'fill', options: { states: '0:#eee,1:#333' } },
      { kind: 'level', options: { min: '0', max: '100' } },
      { kind: 'blink', options: { on: 'alarm' } },
      { kind: 'state', options: { states: '0=open,1=closed' } },
    ]);
  });
});

describe('binding engine', () => {
  const host = svg(`
    <text id="t" data-point="1" data-binding="text:format=0.0;units=kW">---</text>
    <rect id="b" data-point="2" data-binding="fill:states=0:#e6e6e6,1:#333|state:0=open,1=closed"/>
    <line id="s" data-point="3" data-binding="stroke:ranges=0:#999,300:#222"/>
    <g id="v" data-point="2" data-binding="visible:when=1"></g>
    <rect id="l" x="0" y="10" width="5" height="100" data-point="4" data-binding="level:min=0;max=100"/>
    <line id="f" data-point="1" data-binding="flow:scale=0.02"/>
    <path id="r" data-point="5" data-binding="rotate:min=0;max=100"/>`);
  const binder = new DiagramBinder(host);
  const el = (id: string) => host.querySelector(`#${id}`) as SVGElement;

  it('collects the points a diagram needs', () => {
    expect(binder.pointIds().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(el('t').textContent).toBe('--- kW ?'); // no value yet: stale marker
  });

  it('applies text, states, ranges, visibility, level, flow and rotation', () => {
    binder.update({ 1: good(-42.25), 2: good(1), 3: good(398), 4: good(25), 5: good(50) });
    expect(el('t').textContent).toBe(`${(-42.3).toLocaleString(undefined, { minimumFractionDigits: 1 })} kW`);
    expect(el('b').getAttribute('fill')).toBe('#333');
    expect(el('b').getAttribute('data-state')).toBe('closed');
    expect(el('s').getAttribute('stroke')).toBe('#222');
    expect(el('v').style.display).toBe('');
    expect(el('l').getAttribute('height')).toBe('25');
    expect(el('l').getAttribute('y')).toBe('85');
    expect(el('f').getAttribute('data-flow')).toBe('reverse');
    expect(el('f').style.animation).toContain('sy-flow');
    expect(el('r').style.transform).toBe('rotate(180.0deg)');
    binder.update({ 1: good(0), 2: good(0), 3: good(0), 4: good(25), 5: good(50) });
    expect(el('b').getAttribute('fill')).toBe('#e6e6e6');
    expect(el('b').getAttribute('data-state')).toBe('open');
    expect(el('v').style.display).toBe('none');
    expect(el('f').getAttribute('data-flow')).toBeNull();
    expect(el('s').getAttribute('stroke')).toBe('#999');
  });

  it('marks abnormal quality by class and glyph, not colour alone', () => {
    binder.update({ 1: { value: 12, quality: 'comm_fail', utc_date_time: '2026-11-22T10:00:00Z' } });
    expect(el('t').textContent).toMatch(/✕$/);
    expect(el('t').classList.contains('q-comm_fail')).toBe(true);
    expect(el('f').getAttribute('data-flow')).toBeNull(); // no flow shown from a dead device
  });

  it('touches only the elements whose point changed', () => {
    const values = { 1: good(1), 2: good(1), 3: good(1), 4: good(1), 5: good(1) };
    binder.update(values);
    expect(binder.update({ ...values, 3: good(2) })).toBe(1);
  });

  it('writes nothing for a new value object with the same value and quality, and looks only at the changed points', () => {
    binder.update({ 1: good(7), 2: good(1), 3: good(1), 4: good(1), 5: good(1) });
    const text = el('t').firstChild as Text;
    // a second's batch repeats every point: same values in new objects
    expect(binder.update({ 1: good(7), 2: good(1), 3: good(1), 4: good(1), 5: good(1) })).toBe(0);
    expect(el('t').firstChild).toBe(text);
    // with the batch's point ids, the other points are not looked at (their stale entries here stay unapplied)
    expect(binder.update({ 1: good(8), 2: good(0), 3: good(0), 4: good(0), 5: good(0) }, [1])).toBe(2); // the text and the flow line
    expect(el('t').textContent).toBe(`${(8).toLocaleString(undefined, { minimumFractionDigits: 1 })} kW`);
    expect(el('b').getAttribute('fill')).toBe('#333');
    expect(binder.update({ 2: good(0) }, [2, 99])).toBe(2); // the breaker and its group; nothing for an unknown point
    expect(el('b').getAttribute('fill')).toBe('#e6e6e6');
  });
});

describe('a text drawn by the text overlay', () => {
  it('gets its value in the node the overlay gave it, and keeps its quality classes on the element', () => {
    const host = svg(`<text id="o" data-point="5" data-binding="text:format=0.0;units=kW">---</text>`);
    const binder = new DiagramBinder(host);
    const b = binder.elements[0];
    // as TextOverlay adopts a text: its text node moves into a hidden tspan
    const el = host.querySelector('#o')!;
    const tspan = document.createElementNS('http://www.w3.org/2000/svg', 'tspan');
    const live = el.firstChild as Text;
    tspan.appendChild(live);
    el.appendChild(tspan);
    b.textNode = live;
    binder.update({ 5: good(12.34) });
    expect(live.nodeValue).toBe('12.3 kW');
    expect(host.querySelector('#o')!.textContent).toBe('12.3 kW');
    expect(host.querySelector('tspan')).not.toBeNull(); // the element's children are kept
    binder.update({ 5: { value: 13, quality: 'comm_fail', utc_date_time: '2026-11-22T10:00:01Z' } });
    expect(live.nodeValue).toBe('13.0 kW ✕');
    expect(host.querySelector('#o')!.classList.contains('q-comm_fail')).toBe(true);
  });
});
