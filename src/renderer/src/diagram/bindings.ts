/**
 * The binding engine: elements of a (sanitized) SVG carry `data-point="<point id>"` and
 * `data-binding="<binding>|<binding>..."`, each binding `kind:option=value;option=value`. Values are applied
 * by direct DOM updates, never by re-rendering the SVG. See docs/diagrams.md for the format.
 *
 *   text:format=0.0;units=kW       value text (a discrete point's state name where the point has state labels)
 *   fill:states=0:#e6e6e6,1:#333   colour by exact state, or fill:ranges=0:#888,100:#c00 (highest threshold <= value)
 *   stroke:ranges=0:#999,300:#222  same for the stroke
 *   visible:when=1                 shown only while value == 1 (or when>0, when<0)
 *   rotate:min=0;max=100           0..360 degrees over min..max
 *   level:min=0;max=100            a rect filled from the bottom
 *   flow:scale=0.02                dashes moving along a line: direction by sign, speed by |value| * scale
 *   blink:alarm                    blinks while the point has an unacknowledged alarm (applied by the alarms
 *                                  feature's applyAlarmBlink, from the alarm store)
 *   state:0=open,1=closed          names the state (data-state, aria-label) for styling and screen readers
 */
import type { LiveValue } from '../live/liveStore';
import { formatNumber, QUALITY_MARK } from '../ui/format';
import { stateLabelsOf } from '../live/pointStates';
import { stateLabel } from '../../../shared/states';

export interface Binding {
  kind: string;
  options: Record<string, string>;
}

export interface BoundElement {
  el: SVGElement | HTMLElement;
  pointId: number;
  bindings: Binding[];
  last?: LiveValue;
  /** where a text binding writes its text when not in the element itself (a text drawn by the TextOverlay) */
  textNode?: Text;
  /** the quality last written on the element (saves reading the attribute back on every value) */
  quality?: string;
}

export function parseBinding(text: string): Binding[] {
  return text
    .split('|')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const colon = part.indexOf(':');
      const kind = (colon < 0 ? part : part.slice(0, colon)).trim();
      const rest = colon < 0 ? '' : part.slice(colon + 1);
      const options: Record<string, string> = {};
      if (kind === 'state') options.states = rest;
      else if (kind === 'blink') options.on = rest || 'alarm';
      else {
        for (const opt of rest.split(';')) {
          const eq = opt.indexOf('=');
          if (eq > 0) options[opt.slice(0, eq).trim()] = opt.slice(eq + 1).trim();
        }
        // "level:min,max" short form
        if (kind === 'level' && rest && !rest.includes('=')) [options.min, options.max] = rest.split(',');
      }
      return { kind, options };
    });
}

export function collectBindings(root: ParentNode): BoundElement[] {
  const out: BoundElement[] = [];
  root.querySelectorAll('[data-point]').forEach((el) => {
    const pointId = Number(el.getAttribute('data-point'));
    if (!Number.isInteger(pointId) || pointId <= 0) return;
    out.push({ el: el as SVGElement, pointId, bindings: parseBinding(el.getAttribute('data-binding') ?? '') });
  });
  return out;
}

/** "0:#e6e6e6,1:#333" -> [[0,'#e6e6e6'],[1,'#333']] */
function pairs(spec: string | undefined): [number, string][] {
  if (!spec) return [];
  return spec
    .split(',')
    .map((p) => {
      const i = p.indexOf(':');
      return [Number(p.slice(0, i)), p.slice(i + 1).trim()] as [number, string];
    })
    .filter(([n, c]) => Number.isFinite(n) && c);
}

export function colourFor(options: Record<string, string>, v: number): string | null {
  const states = pairs(options.states);
  if (states.length) return states.find(([n]) => n === v)?.[1] ?? null;
  let chosen: string | null = null;
  for (const [threshold, colour] of pairs(options.ranges).sort((a, b) => a[0] - b[0])) if (v >= threshold) chosen = colour;
  return chosen;
}

function visibleWhen(expr: string | undefined, v: number): boolean {
  if (!expr) return v !== 0;
  const m = /^([<>]=?|!=|=)?\s*(-?[\d.]+)$/.exec(expr.trim());
  if (!m) return true;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>':
      return v > n;
    case '>=':
      return v >= n;
    case '<':
      return v < n;
    case '<=':
      return v <= n;
    case '!=':
      return v !== n;
    default:
      return v === n;
  }
}

const num = (s: string | undefined, d: number) => (s !== undefined && s !== '' && Number.isFinite(Number(s)) ? Number(s) : d);

/** Applies one point value to one bound element. */
export function applyValue(b: BoundElement, v: LiveValue | undefined): void {
  const el = b.el;
  const quality = v?.quality ?? 'stale';
  const mark = QUALITY_MARK[quality];
  // classes change only with the quality (most updates keep it): fewer DOM writes on the hot path
  if (b.quality !== quality) {
    b.quality = quality;
    el.setAttribute('data-quality', quality);
    el.classList.toggle('q-abnormal', Boolean(mark));
    for (const q of ['stale', 'comm_fail', 'out_of_range', 'bad', 'manual']) el.classList.toggle(`q-${q}`, quality === q);
  }
  const value = typeof v?.value === 'number' ? v.value : null;
  for (const { kind, options } of b.bindings) {
    switch (kind) {
      case 'text': {
        const state = stateLabel(stateLabelsOf(b.pointId), v?.value);
        let text = v === undefined || v.value === null ? '---' : state !== undefined ? state : typeof v.value === 'number' ? formatNumber(v.value, options.format ?? '0.0') : String(v.value);
        if (options.units && state === undefined) text += ` ${options.units}`;
        if (mark) text += ` ${mark.glyph}`;
        // change the existing text node in place (cheaper than replacing the element's children)
        const node = b.textNode ?? el.firstChild;
        if (node && node.nodeType === 3 && (b.textNode || !node.nextSibling)) {
          if (node.nodeValue !== text) node.nodeValue = text;
        } else el.textContent = text;
        break;
      }
      case 'fill':
      case 'stroke': {
        if (value === null) break;
        const c = colourFor(options, value);
        if (c && el.getAttribute(kind) !== c) el.setAttribute(kind, c);
        break;
      }
      case 'visible':
        if (value !== null) (el as SVGElement).style.display = visibleWhen(options.when, value) ? '' : 'none';
        break;
      case 'rotate': {
        if (value === null) break;
        const min = num(options.min, 0);
        const max = num(options.max, 360);
        const deg = ((value - min) / (max - min || 1)) * 360;
        const style = (el as SVGElement).style;
        style.transformBox = 'fill-box';
        style.transformOrigin = 'center';
        style.transform = `rotate(${deg.toFixed(1)}deg)`;
        break;
      }
      case 'level': {
        if (value === null) break;
        if (!el.hasAttribute('data-level-y')) {
          el.setAttribute('data-level-y', el.getAttribute('y') ?? '0');
          el.setAttribute('data-level-height', el.getAttribute('height') ?? '0');
        }
        const y0 = Number(el.getAttribute('data-level-y'));
        const h0 = Number(el.getAttribute('data-level-height'));
        const min = num(options.min, 0);
        const max = num(options.max, 100);
        const frac = Math.max(0, Math.min(1, (value - min) / (max - min || 1)));
        el.setAttribute('height', String(h0 * frac));
        el.setAttribute('y', String(y0 + h0 * (1 - frac)));
        break;
      }
      case 'flow': {
        const style = (el as SVGElement).style;
        const speed = value === null || quality === 'comm_fail' ? 0 : Math.abs(value) * num(options.scale, 0.01);
        if (speed < 0.01) {
          style.animation = '';
          el.removeAttribute('data-flow');
          break;
        }
        style.strokeDasharray = '10 6';
        // faster flow = shorter period; 0.2 s .. 8 s
        const period = Math.max(0.2, Math.min(8, 1 / speed));
        style.animation = `sy-flow ${period.toFixed(2)}s linear infinite`;
        style.animationDirection = value! < 0 ? 'reverse' : 'normal';
        el.setAttribute('data-flow', value! < 0 ? 'reverse' : 'forward');
        break;
      }
      case 'state': {
        if (value === null) break;
        const entry = options.states
          .split(',')
          .map((p) => p.split('='))
          .find(([n]) => Number(n) === value);
        const label = entry?.[1]?.trim() ?? String(value);
        if (el.getAttribute('data-state') === label) break;
        el.setAttribute('data-state', label);
        // a focusable symbol keeps its point's name in its accessible name (see Diagram's nameSymbol)
        const name = el.getAttribute('data-name');
        el.setAttribute('aria-label', name ? `${name}: ${label}` : label);
        break;
      }
      default:
        break;
    }
  }
}

/** Keeps a diagram's elements in step with the live values; applies only what changed. */
export class DiagramBinder {
  readonly elements: BoundElement[];

  constructor(root: ParentNode) {
    this.elements = collectBindings(root);
    for (const b of this.elements) applyValue(b, undefined);
  }

  pointIds(): number[] {
    return [...new Set(this.elements.map((b) => b.pointId))];
  }

  update(values: Record<number, LiveValue>): number {
    let applied = 0;
    for (const b of this.elements) {
      const v = values[b.pointId];
      if (v === b.last) continue;
      b.last = v;
      applyValue(b, v);
      applied++;
    }
    return applied;
  }
}
