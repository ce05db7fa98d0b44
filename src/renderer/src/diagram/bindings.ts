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
import type { LiveValue, Quality } from '../live/liveStore';
import { numberFormat, QUALITY_MARK } from '../ui/format';
import { stateLabelsOf } from '../live/pointStates';
import { stateLabel, type StateLabels } from '../../../shared/states';

export interface Binding {
  kind: string;
  options: Record<string, string>;
}

/** One binding compiled for one element: what a value does to it (options parsed once, not per value). */
type Apply = (b: BoundElement, v: LiveValue | undefined, value: number | null, quality: Quality) => void;

export interface BoundElement {
  el: SVGElement | HTMLElement;
  pointId: number;
  bindings: Binding[];
  /** the bindings compiled, in order */
  apply: Apply[];
  /** it has a text binding (whose text depends on the point's state labels too) */
  hasText: boolean;
  last?: LiveValue;
  /** the state labels its text was last written with */
  labels?: StateLabels;
  /** where a text binding writes its text when not in the element itself (a text drawn by the TextOverlay) */
  textNode?: Text;
  /** called after a text binding has written a new text, with that text (the TextOverlay redraws it) */
  onText?: (text: string) => void;
  /** the quality last written on the element (saves reading the attribute back on every value) */
  quality?: string;
  /** the text a text binding last wrote (saves reading the text node back on every value) */
  text?: string;
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
    const bindings = parseBinding(el.getAttribute('data-binding') ?? '');
    const apply = bindings.map(compile).filter((a): a is Apply => a !== null);
    out.push({ el: el as SVGElement, pointId, bindings, apply, hasText: bindings.some((x) => x.kind === 'text') });
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

/** A fill/stroke colour chooser: exact states first, else the highest range threshold <= value. */
function colourChooser(options: Record<string, string>): (v: number) => string | null {
  const states = pairs(options.states);
  if (states.length) return (v) => states.find(([n]) => n === v)?.[1] ?? null;
  const ranges = pairs(options.ranges).sort((a, b) => a[0] - b[0]);
  return (v) => {
    let chosen: string | null = null;
    for (const [threshold, colour] of ranges) if (v >= threshold) chosen = colour;
    return chosen;
  };
}

export function colourFor(options: Record<string, string>, v: number): string | null {
  return colourChooser(options)(v);
}

/** `when` of a visible binding: "1", ">0", "<=5", "!=0" (none: value != 0). */
function condition(expr: string | undefined): (v: number) => boolean {
  if (!expr) return (v) => v !== 0;
  const m = /^([<>]=?|!=|=)?\s*(-?[\d.]+)$/.exec(expr.trim());
  if (!m) return () => true;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>':
      return (v) => v > n;
    case '>=':
      return (v) => v >= n;
    case '<':
      return (v) => v < n;
    case '<=':
      return (v) => v <= n;
    case '!=':
      return (v) => v !== n;
    default:
      return (v) => v === n;
  }
}

const num = (s: string | undefined, d: number) => (s !== undefined && s !== '' && Number.isFinite(Number(s)) ? Number(s) : d);

/** A text binding: the formatter, units and the text node to write are found once. */
function textBinding(options: Record<string, string>): Apply {
  const format = numberFormat(options.format ?? '0.0');
  const units = options.units ? ` ${options.units}` : '';
  return (b, v, _value, quality) => {
    const state = stateLabel(b.labels, v?.value);
    let text = v === undefined || v.value === null ? '---' : state !== undefined ? state : typeof v.value === 'number' ? format.format(v.value) : String(v.value);
    if (state === undefined) text += units;
    const mark = QUALITY_MARK[quality];
    if (mark) text += ` ${mark.glyph}`;
    // change the existing text node in place (cheaper than replacing the element's children)
    const el = b.el;
    const node = b.textNode ?? el.firstChild;
    if (node && node.nodeType === 3 && (b.textNode || !node.nextSibling)) {
      if (b.text === text) return;
      node.nodeValue = text;
    } else el.textContent = text;
    b.text = text;
    b.onText?.(text);
  };
}

function compile({ kind, options }: Binding): Apply | null {
  switch (kind) {
    case 'text':
      return textBinding(options);
    case 'fill':
    case 'stroke': {
      const colour = colourChooser(options);
      return (b, _v, value) => {
        if (value === null) return;
        const c = colour(value);
        if (c && b.el.getAttribute(kind) !== c) b.el.setAttribute(kind, c);
      };
    }
    case 'visible': {
      const test = condition(options.when);
      return (b, _v, value) => {
        if (value !== null) b.el.style.display = test(value) ? '' : 'none';
      };
    }
    case 'rotate': {
      const min = num(options.min, 0);
      const span = num(options.max, 360) - min || 1;
      return (b, _v, value) => {
        if (value === null) return;
        const style = b.el.style;
        style.transformBox = 'fill-box';
        style.transformOrigin = 'center';
        style.transform = `rotate(${(((value - min) / span) * 360).toFixed(1)}deg)`;
      };
    }
    case 'level': {
      const min = num(options.min, 0);
      const span = num(options.max, 100) - min || 1;
      return (b, _v, value) => {
        if (value === null) return;
        const el = b.el;
        if (!el.hasAttribute('data-level-y')) {
          el.setAttribute('data-level-y', el.getAttribute('y') ?? '0');
          el.setAttribute('data-level-height', el.getAttribute('height') ?? '0');
        }
        const y0 = Number(el.getAttribute('data-level-y'));
        const h0 = Number(el.getAttribute('data-level-height'));
        const frac = Math.max(0, Math.min(1, (value - min) / span));
        el.setAttribute('height', String(h0 * frac));
        el.setAttribute('y', String(y0 + h0 * (1 - frac)));
      };
    }
    case 'flow': {
      const scale = num(options.scale, 0.01);
      return (b, _v, value, quality) => {
        const el = b.el;
        const style = el.style;
        const speed = value === null || quality === 'comm_fail' ? 0 : Math.abs(value) * scale;
        if (speed < 0.01) {
          style.animation = '';
          el.removeAttribute('data-flow');
          return;
        }
        style.strokeDasharray = '10 6';
        // faster flow = shorter period; 0.2 s .. 8 s
        const period = Math.max(0.2, Math.min(8, 1 / speed));
        style.animation = `sy-flow ${period.toFixed(2)}s linear infinite`;
        style.animationDirection = value! < 0 ? 'reverse' : 'normal';
        el.setAttribute('data-flow', value! < 0 ? 'reverse' : 'forward');
      };
    }
    case 'state': {
      const labels = new Map<number, string>();
      for (const [n, label] of options.states.split(',').map((p) => p.split('='))) if (!labels.has(Number(n)) && label !== undefined) labels.set(Number(n), label.trim());
      return (b, _v, value) => {
        if (value === null) return;
        const el = b.el;
        const label = labels.get(value) ?? String(value);
        if (el.getAttribute('data-state') === label) return;
        el.setAttribute('data-state', label);
        // a focusable symbol keeps its point's name in its accessible name (see Diagram's nameSymbol)
        const name = el.getAttribute('data-name');
        el.setAttribute('aria-label', name ? `${name}: ${label}` : label);
      };
    }
    default:
      return null;
  }
}

const QUALITIES = ['stale', 'comm_fail', 'out_of_range', 'bad', 'manual'];

/** Applies one point value to one bound element. */
export function applyValue(b: BoundElement, v: LiveValue | undefined): void {
  const el = b.el;
  const quality = v?.quality ?? 'stale';
  // classes change only with the quality (most updates keep it): fewer DOM writes on the hot path
  if (b.quality !== quality) {
    b.quality = quality;
    el.setAttribute('data-quality', quality);
    el.classList.toggle('q-abnormal', Boolean(QUALITY_MARK[quality]));
    for (const q of QUALITIES) el.classList.toggle(`q-${q}`, quality === q);
  }
  const value = typeof v?.value === 'number' ? v.value : null;
  for (const apply of b.apply) apply(b, v, value, quality);
}

/**
 * Keeps a diagram's elements in step with the live values; applies only what changed: an element is written when
 * its point's value, quality or state labels differ from what it shows.
 */
export class DiagramBinder {
  readonly elements: BoundElement[];
  private readonly byPoint = new Map<number, BoundElement[]>();

  constructor(root: ParentNode) {
    this.elements = collectBindings(root);
    for (const b of this.elements) {
      applyValue(b, undefined);
      const list = this.byPoint.get(b.pointId);
      if (list) list.push(b);
      else this.byPoint.set(b.pointId, [b]);
    }
  }

  pointIds(): number[] {
    return [...this.byPoint.keys()];
  }

  /** Applies `values` to every element, or only to the elements of the points in `changed`; returns how many were written. */
  update(values: Record<number, LiveValue>, changed?: Iterable<number>): number {
    let applied = 0;
    if (!changed) for (const b of this.elements) applied += this.apply(b, values[b.pointId]);
    else
      for (const id of changed) {
        const list = this.byPoint.get(id);
        if (!list) continue;
        const v = values[id];
        for (const b of list) applied += this.apply(b, v);
      }
    return applied;
  }

  private apply(b: BoundElement, v: LiveValue | undefined): number {
    if (v === b.last) return 0;
    const prev = b.last;
    b.last = v;
    const labels = b.hasText ? stateLabelsOf(b.pointId) : undefined;
    if (prev && v && prev.value === v.value && prev.quality === v.quality && labels === b.labels) return 0;
    b.labels = labels;
    applyValue(b, v);
    return 1;
  }
}
