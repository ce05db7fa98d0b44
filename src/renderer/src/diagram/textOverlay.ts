/**
 * Live texts of a large diagram drawn on a canvas over the SVG, so that a second's new values cost no SVG text
 * layout (about 25 µs of layout and paint per changed `<text>` in Chromium: 2,000 labels were ~100 ms a second).
 *
 * The `<text>` element stays where it is, for everything but drawing its glyphs: its value goes into a hidden
 * `<tspan>` (so `textContent` is the live value and changing it lays nothing out), it keeps its focus, role,
 * name, classes and attributes, and the binder writes colours and states on it as before; the overlay reads the
 * computed colour, font, opacity and visibility back from it when one of its (or its ancestors') attributes
 * changes. Whatever this drawing does not reproduce is left to SVG, element by element: a text under the pointer
 * or with the keyboard focus (so hover, tooltips, the focus ring and clicks are SVG's own), a text that is
 * animated (alarm blink) or under an animated, filtered, clipped or masked group, rotated or skewed, stroked,
 * letter-spaced, positioned per glyph or aligned on another baseline. Diagrams with fewer than
 * OVERLAY_MIN_TEXTS live texts are left to SVG entirely: there it costs less than a millisecond.
 * See docs/diagrams.md (Large diagrams) and docs/performance.md.
 */
import type { BoundElement } from './bindings';
import { drawText, GlyphCache, parseColour, type FontGlyphs, type Rgba } from './glyphs';

export const OVERLAY_MIN_TEXTS = 100;
const SVG_NS = 'http://www.w3.org/2000/svg';

interface Item {
  el: SVGTextElement;
  tspan: SVGTSpanElement;
  live: Text;
  /** style or geometry to be read again before the next drawing */
  dirty: boolean;
  /** the overlay can draw it as SVG would (style and geometry) */
  drawable: boolean;
  /** SVG draws it now (not drawable, hovered or focused) */
  native: boolean;
  visible: boolean;
  colour: Rgba;
  /** font size in user units, CSS font without the size */
  fontSize: number;
  fontStyle: string;
  fontFamily: string;
  /** the glyphs of its font at its size on screen (device pixels) */
  glyphs: FontGlyphs | null;
  anchor: string;
  /** pen position in CSS px from the SVG element's top left, and CSS px per user unit */
  x: number;
  y: number;
  scale: number;
  drawn: string | null;
  /** the drawn text's box in CSS px from the SVG element's top left */
  box: [number, number, number, number] | null;
}

interface AncestorInfo {
  hidden: boolean;
  opacity: number;
  plain: boolean;
}

/** A text the overlay can take: a `<text>` with a text binding and nothing but its text inside. */
function candidate(b: BoundElement): b is BoundElement & { el: SVGTextElement } {
  if (!(b.el instanceof SVGTextElement) || !b.bindings.some((x) => x.kind === 'text')) return false;
  const kids = b.el.childNodes;
  return kids.length === 0 || (kids.length === 1 && kids[0].nodeType === Node.TEXT_NODE);
}

const none = (v: string) => v === '' || v === 'none';
const zero = (v: string) => v === 'normal' || v === '0px' || v === '0';

export class TextOverlay {
  private readonly items: Item[] = [];
  private readonly byEl = new Map<Element, Item>();
  private readonly glyphs = new GlyphCache();
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private image: ImageData | null = null;
  private words: Uint32Array | null = null;
  private readonly observers: { disconnect(): void }[] = [];
  private readonly cleanups: (() => void)[] = [];
  private frame = 0;
  private regionDirty = true;
  private forceDraw = true;
  /** the SVG element's client rect, and the canvas's region in device pixels (client coordinates * dpr) */
  private svgLeft = 0;
  private svgTop = 0;
  private dpr = 1;
  private region = { left: 0, top: 0, width: 0, height: 0 };
  private hovered: Item | null = null;
  private focused: Item | null = null;
  /** for tests and diagnostics: drawings and style reads so far, texts in the last drawing */
  readonly stats = { draws: 0, refreshes: 0, drawn: 0, drawMs: 0 };

  /** An overlay for the diagram in `host`, or null when it has too few live texts to be worth one. */
  static attach(host: HTMLElement, svg: SVGSVGElement, elements: BoundElement[], min = OVERLAY_MIN_TEXTS): TextOverlay | null {
    const texts = elements.filter(candidate);
    if (texts.length < min) return null;
    return new TextOverlay(host, svg, texts);
  }

  private constructor(
    private readonly host: HTMLElement,
    private readonly svg: SVGSVGElement,
    texts: (BoundElement & { el: SVGTextElement })[],
  ) {
    for (const b of texts) {
      let item = this.byEl.get(b.el);
      if (!item) {
        const tspan = document.createElementNS(SVG_NS, 'tspan');
        tspan.setAttribute('class', 'sy-live-text');
        tspan.style.display = 'none';
        const live = (b.el.firstChild as Text | null) ?? document.createTextNode('');
        tspan.appendChild(live);
        b.el.appendChild(tspan);
        item = { el: b.el, tspan, live, dirty: true, drawable: false, native: false, visible: false, colour: [0, 0, 0, 0], fontSize: 16, fontStyle: '', fontFamily: 'sans-serif', glyphs: null, anchor: 'start', x: 0, y: 0, scale: 1, drawn: null, box: null };
        this.items.push(item);
        this.byEl.set(b.el, item);
      }
      b.textNode = item.live;
    }
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'sy-text-overlay';
    this.canvas.setAttribute('aria-hidden', 'true');
    this.canvas.style.cssText = 'position:absolute;left:0;top:0;width:0;height:0;pointer-events:none';
    host.appendChild(this.canvas);
    this.ctx = this.canvas.getContext('2d')!;
    (host as HTMLElement & { textOverlay?: TextOverlay }).textOverlay = this;

    // attributes of the texts or their groups (binder colours, quality classes, visibility, alarm blink, transforms)
    const mutations = new MutationObserver((records) => {
      for (const r of records) this.invalidate(r.target as Element);
      this.schedule();
    });
    mutations.observe(svg, { attributes: true, subtree: true });
    // the page's theme and state classes can change colours through CSS variables
    const page = new MutationObserver(() => this.invalidateAll());
    page.observe(document.documentElement, { attributes: true });
    if (document.body) page.observe(document.body, { attributes: true });
    // a new size (window, browser zoom, layout): new positions, font sizes and canvas
    const resize = new ResizeObserver(() => this.invalidateAll());
    resize.observe(svg);
    resize.observe(host);
    this.observers.push(mutations, page, resize);
    this.listen(window, 'resize', () => this.invalidateAll());
    // scrolling moves the visible part of the diagram: the canvas covers only that
    this.listen(document, 'scroll', () => this.moved(), true);
    this.listen(host, 'pointermove', (e) => this.hover(this.at((e as PointerEvent).clientX, (e as PointerEvent).clientY, true)));
    this.listen(host, 'pointerleave', () => this.hover(null));
    this.listen(host, 'focusin', (e) => this.focus(this.byEl.get(e.target as Element) ?? null));
    this.listen(host, 'focusout', () => this.focus(null));
  }

  /** Draws the values written since the last call (call it after the binder's update), now. */
  render(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.flush();
  }

  /** The bound text drawn by the overlay at a client position (for clicks that land on its glyphs). */
  hitTest(clientX: number, clientY: number): Element | null {
    this.track();
    return this.at(clientX, clientY, false)?.el ?? null;
  }

  /** What the overlay shows of a text and where (CSS px in the client), or null when SVG draws it or it is not drawn. */
  shown(el: Element): { text: string; box: [number, number, number, number] } | null {
    const item = this.byEl.get(el);
    if (!item || item.native || !item.visible || !item.box || item.drawn === null) return null;
    this.track();
    const [x0, y0, x1, y1] = item.box;
    return { text: item.drawn, box: [x0 + this.svgLeft, y0 + this.svgTop, x1 + this.svgLeft, y1 + this.svgTop] };
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    for (const o of this.observers) o.disconnect();
    for (const c of this.cleanups) c();
    this.canvas.remove();
    for (const item of this.items) item.tspan.style.display = '';
  }

  /** Where the SVG is now (it may have scrolled since the last drawing). */
  private track(): void {
    const s = this.svg.getBoundingClientRect();
    this.svgLeft = s.left;
    this.svgTop = s.top;
  }

  private listen(target: EventTarget, type: string, fn: (e: Event) => void, capture = false): void {
    target.addEventListener(type, fn, { capture, passive: true });
    this.cleanups.push(() => target.removeEventListener(type, fn, { capture }));
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  private invalidate(target: Element): void {
    const item = this.byEl.get(target);
    if (item) item.dirty = true;
    else if (target.firstElementChild && !(target instanceof SVGTSpanElement && target.classList.contains('sy-live-text')))
      for (const i of this.items) if (!i.dirty && target.contains(i.el)) i.dirty = true;
  }

  private invalidateAll(): void {
    for (const i of this.items) i.dirty = true;
    this.regionDirty = true;
    this.schedule();
  }

  private moved(): void {
    this.regionDirty = true;
    this.schedule();
  }

  private hover(item: Item | null): void {
    if (item === this.hovered) return;
    this.hovered = item;
    this.forceDraw = true;
    this.schedule();
  }

  private focus(item: Item | null): void {
    if (item === this.focused) return;
    this.focused = item;
    // SVG draws a focused text at once, so that the focus ring and the scrolling into view find its glyphs
    if (item && !item.native) {
      item.native = true;
      item.tspan.style.display = '';
    }
    this.forceDraw = true;
    this.schedule();
  }

  /** The item whose drawn box holds a client position; `any` also finds those SVG draws now (hovered ones). */
  private at(clientX: number, clientY: number, any: boolean): Item | null {
    const x = clientX - this.svgLeft;
    const y = clientY - this.svgTop;
    for (let i = this.items.length - 1; i >= 0; i--) {
      const it = this.items[i];
      const b = it.box;
      if (b && (any || !it.native) && it.visible && x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]) return it;
    }
    return null;
  }

  private flush(): void {
    // reads first (styles, positions), then writes (which of the texts SVG draws, the canvas)
    let changed = this.forceDraw;
    this.forceDraw = false;
    if (this.regionDirty) {
      this.layoutRegion();
      changed = true;
    }
    const ancestors = new Map<Element, AncestorInfo>();
    for (const item of this.items)
      if (item.dirty) {
        this.refresh(item, ancestors);
        changed = true;
      }
    for (const item of this.items) {
      const native = !item.drawable || item === this.hovered || item === this.focused;
      if (native !== item.native) {
        item.native = native;
        item.tspan.style.display = native ? '' : 'none';
        changed = true;
      }
      if (!changed && !native && item.visible && item.live.nodeValue !== item.drawn) changed = true;
    }
    if (changed) this.draw();
  }

  /** The canvas covers the part of the SVG that can be seen (inside the viewport and every clipping ancestor). */
  private layoutRegion(): void {
    this.regionDirty = false;
    const dpr = window.devicePixelRatio || 1;
    const s = this.svg.getBoundingClientRect();
    this.svgLeft = s.left;
    this.svgTop = s.top;
    let [l, t, r, b] = [s.left, s.top, s.right, s.bottom];
    l = Math.max(l, 0);
    t = Math.max(t, 0);
    r = Math.min(r, window.innerWidth);
    b = Math.min(b, window.innerHeight);
    for (let a: Element | null = this.svg.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const ar = a.getBoundingClientRect();
      l = Math.max(l, ar.left + a.clientLeft);
      t = Math.max(t, ar.top + a.clientTop);
      r = Math.min(r, ar.left + a.clientLeft + a.clientWidth);
      b = Math.min(b, ar.top + a.clientTop + a.clientHeight);
    }
    const left = Math.floor(l * dpr);
    const top = Math.floor(t * dpr);
    const width = Math.max(0, Math.ceil(r * dpr) - left);
    const height = Math.max(0, Math.ceil(b * dpr) - top);
    if (dpr !== this.dpr) for (const i of this.items) i.dirty = true;
    this.dpr = dpr;
    this.region = { left, top, width, height };
    const h = this.host.getBoundingClientRect();
    const style = this.canvas.style;
    style.left = `${left / dpr - h.left - this.host.clientLeft + this.host.scrollLeft}px`;
    style.top = `${top / dpr - h.top - this.host.clientTop + this.host.scrollTop}px`;
    style.width = `${width / dpr}px`;
    style.height = `${height / dpr}px`;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.image = null;
    }
  }

  private ancestor(a: Element, cache: Map<Element, AncestorInfo>): AncestorInfo {
    let info = cache.get(a);
    if (!info) {
      const cs = getComputedStyle(a);
      info = {
        hidden: cs.display === 'none',
        opacity: Number(cs.opacity),
        plain: none(cs.animationName) && none(cs.filter) && none(cs.clipPath) && none(cs.mask) && none(cs.maskImage),
      };
      cache.set(a, info);
    }
    return info;
  }

  /** Reads what the text looks like and where it is. */
  private refresh(item: Item, ancestors: Map<Element, AncestorInfo>): void {
    item.dirty = false;
    this.stats.refreshes++;
    const el = item.el;
    const cs = getComputedStyle(el);
    let visible = cs.display !== 'none' && cs.visibility === 'visible';
    let opacity = Number(cs.opacity) * Number(cs.fillOpacity);
    let plain =
      none(cs.animationName) &&
      none(cs.filter) &&
      none(cs.clipPath) &&
      none(cs.mask) &&
      none(cs.maskImage) &&
      none(cs.stroke) &&
      zero(cs.letterSpacing) &&
      zero(cs.wordSpacing) &&
      none(cs.textDecorationLine) &&
      cs.writingMode === 'horizontal-tb' &&
      cs.direction === 'ltr' &&
      (cs.dominantBaseline === 'auto' || cs.dominantBaseline === 'alphabetic') &&
      (cs.baselineShift === '0px' || cs.baselineShift === 'baseline' || cs.baselineShift === '0');
    for (let a: Element | null = el.parentElement; a; a = a.parentElement) {
      const info = this.ancestor(a, ancestors);
      if (info.hidden) visible = false;
      opacity *= info.opacity;
      plain &&= info.plain;
      if (a === (this.svg as Element)) break;
    }
    const fill = parseColour(cs.fill);
    if (!fill) plain = false;
    else item.colour = [fill[0], fill[1], fill[2], Math.round(255 * fill[3] * opacity)];
    item.visible = visible;
    if (visible) {
      const xs = el.x.baseVal;
      const ys = el.y.baseVal;
      if (xs.numberOfItems > 1 || ys.numberOfItems > 1 || el.dx.baseVal.numberOfItems || el.dy.baseVal.numberOfItems || el.rotate.baseVal.numberOfItems || el.hasAttribute('textLength')) plain = false;
      const m = el.getScreenCTM();
      if (!m || Math.abs(m.b) > 1e-9 || Math.abs(m.c) > 1e-9 || m.a <= 0 || Math.abs(m.a - m.d) > 1e-6 * m.a) plain = false;
      else {
        const x = xs.numberOfItems ? xs.getItem(0).value : 0;
        const y = ys.numberOfItems ? ys.getItem(0).value : 0;
        item.x = m.a * x + m.e - this.svgLeft;
        item.y = m.d * y + m.f - this.svgTop;
        item.scale = m.a;
      }
    }
    item.fontSize = parseFloat(cs.fontSize) || 16;
    item.fontStyle = `${cs.fontStyle} ${cs.fontWeight}`;
    item.anchor = cs.textAnchor;
    item.fontFamily = cs.fontFamily;
    item.drawable = plain;
    item.glyphs = this.glyphs.font(`${item.fontStyle} ${item.fontSize * item.scale * this.dpr}px ${item.fontFamily}`);
  }

  private draw(): void {
    const t0 = performance.now();
    const { width, height, left, top } = this.region;
    let drawn = 0;
    if (width && height) {
      if (!this.image) {
        this.image = new ImageData(width, height);
        this.words = new Uint32Array(this.image.data.buffer);
      }
      const buf = this.image.data;
      const words = this.words!;
      words.fill(0);
      const dpr = this.dpr;
      for (const item of this.items) {
        const text = item.live.nodeValue ?? '';
        item.drawn = text;
        if (item.native || !item.visible || !item.glyphs) continue;
        const px = item.fontSize * item.scale * dpr;
        const w = item.anchor === 'start' ? 0 : item.glyphs.measure(text);
        const shift = item.anchor === 'middle' ? w / 2 : item.anchor === 'end' ? w : 0;
        const x = (this.svgLeft + item.x) * dpr - shift - left;
        const y = (this.svgTop + item.y) * dpr - top;
        if (x > width || y - px > height || y + px < 0) {
          item.box = null;
          continue;
        }
        const advance = drawText(buf, words, width, height, item.glyphs, text, x, y, item.colour);
        // the box SVG would hit-test: the em box (ascent ~0.9 em, descent ~0.25 em)
        const bx = item.x - shift / dpr;
        item.box = [bx, item.y - 0.9 * (px / dpr), bx + advance / dpr, item.y + 0.25 * (px / dpr)];
        drawn++;
      }
      this.ctx.putImageData(this.image, 0, 0);
    }
    this.stats.draws++;
    this.stats.drawMs += performance.now() - t0;
    this.stats.drawn = drawn;
  }
}
