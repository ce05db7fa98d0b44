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
import { GlyphCache, parseColour, type FontGlyphs, type Rgba } from './glyphs';
import { ANCHORS, OverlayPainter, SPEC, type PainterInput, type PainterOutput, type PainterStats } from './overlayPainter';

export const OVERLAY_MIN_TEXTS = 100;
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Where the texts are drawn: a worker that owns the canvas (OffscreenCanvas), or this thread. */
interface Painter {
  send(msg: PainterInput, transfer?: Transferable[]): void;
  close(): void;
}

/** The overlay canvas's pixels as its painter has them, and its counts (tests and diagnosis). */
export interface OverlaySnapshot {
  width: number;
  height: number;
  data: Uint8ClampedArray;
  stats: PainterStats;
}

type Box = [number, number, number, number];

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
  /** its CSS font at its size on screen (device pixels), and that font's glyphs here (for its advance) */
  font: string;
  glyphs: FontGlyphs | null;
  anchor: string;
  /** pen position in CSS px from the SVG element's top left, and CSS px per user unit */
  x: number;
  y: number;
  scale: number;
  /** pen (before the anchor's shift) and baseline on the canvas, font size (device pixels), as last laid out */
  cx: number;
  cy: number;
  px: number;
  /** the text last handed to the painter */
  drawn: string | null;
  /** the drawn text's box in CSS px from the SVG element's top left (null: off the canvas), for the text `boxOf` */
  box: Box | null;
  boxOf: string | null;
  /** its place in the drawing order (its index in the painter's layout) */
  index: number;
  /** its value changed since the last drawing, and that value (as the binder wrote it) */
  pending: boolean;
  next: string;
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
  /** the texts' fonts here, for their advances (hit boxes); the painter has its own for drawing */
  private readonly glyphs = new GlyphCache();
  private canvas: HTMLCanvasElement;
  private painter: Painter;
  /** the painter has a layout (a first whole drawing was asked for) */
  private laidOut = false;
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
  /** texts with a new value since the last drawing */
  private pending: Item[] = [];
  private snapshots = new Map<number, (s: OverlaySnapshot) => void>();
  private snapshotId = 0;
  /**
   * for tests and diagnostics: whole drawings, partial ones (only changed texts) and the rectangles they
   * redrew, texts in the last whole drawing and time spent drawing (as of the last snapshot()), style reads so far
   */
  readonly stats = { draws: 0, partials: 0, rects: 0, refreshes: 0, drawn: 0, drawMs: 0 };

  /**
   * An overlay for the diagram in `host`, or null when it has too few live texts to be worth one. `inWorker`: drawn
   * by a worker on an OffscreenCanvas where the browser has one (false: on this thread).
   */
  static attach(host: HTMLElement, svg: SVGSVGElement, elements: BoundElement[], min = OVERLAY_MIN_TEXTS, inWorker = true): TextOverlay | null {
    const texts = elements.filter(candidate);
    if (texts.length < min) return null;
    return new TextOverlay(host, svg, texts, inWorker);
  }

  private constructor(
    private readonly host: HTMLElement,
    private readonly svg: SVGSVGElement,
    texts: (BoundElement & { el: SVGTextElement })[],
    inWorker: boolean,
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
        item = {
          el: b.el,
          tspan,
          live,
          dirty: true,
          drawable: false,
          native: false,
          visible: false,
          colour: [0, 0, 0, 0],
          fontSize: 16,
          fontStyle: '',
          fontFamily: 'sans-serif',
          font: '',
          glyphs: null,
          anchor: 'start',
          x: 0,
          y: 0,
          scale: 1,
          cx: 0,
          cy: 0,
          px: 0,
          drawn: null,
          box: null,
          boxOf: null,
          index: this.items.length,
          pending: false,
          next: '',
        };
        this.items.push(item);
        this.byEl.set(b.el, item);
      }
      const it = item;
      b.textNode = it.live;
      // the binder wrote a new value: that text is redrawn (only where its glyphs changed) at the next render
      b.onText = (text) => {
        it.next = text;
        if (it.pending) return;
        it.pending = true;
        // a frame only when nobody calls render() after the binder's update (Diagram does, in its own frame)
        if (this.pending.push(it) === 1) queueMicrotask(() => this.pending.length && this.schedule());
      };
    }
    this.canvas = this.newCanvas();
    this.painter = (inWorker && this.workerPainter()) || this.localPainter();
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
    const box = item && this.boxOf(item);
    if (!item || item.native || !item.visible || !box || item.drawn === null) return null;
    this.track();
    const [x0, y0, x1, y1] = box;
    return { text: item.drawn, box: [x0 + this.svgLeft, y0 + this.svgTop, x1 + this.svgLeft, y1 + this.svgTop] };
  }

  /**
   * The canvas's pixels (none with `pixels` false) and the painter's counts once it has drawn everything asked for
   * so far (tests, diagnosis).
   */
  snapshot(pixels = true): Promise<OverlaySnapshot> {
    const id = ++this.snapshotId;
    return new Promise((resolve) => {
      this.snapshots.set(id, resolve);
      this.painter.send({ type: 'snapshot', id, pixels });
    });
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    for (const o of this.observers) o.disconnect();
    for (const c of this.cleanups) c();
    this.painter.close();
    this.canvas.remove();
    for (const item of this.items) item.tspan.style.display = '';
  }

  private newCanvas(): HTMLCanvasElement {
    const canvas = document.createElement('canvas');
    canvas.className = 'sy-text-overlay';
    canvas.setAttribute('aria-hidden', 'true');
    canvas.style.cssText = 'position:absolute;left:0;top:0;width:0;height:0;pointer-events:none';
    this.host.appendChild(canvas);
    return canvas;
  }

  private heard(out: PainterOutput): void {
    Object.assign(this.stats, out.stats);
    const { stats, ...image } = out;
    this.snapshots.get(out.id)?.({ ...image, stats });
    this.snapshots.delete(out.id);
  }

  /** The painter in a worker, which takes the canvas over; null where there is no OffscreenCanvas or worker. */
  private workerPainter(): Painter | null {
    if (typeof this.canvas.transferControlToOffscreen !== 'function' || typeof Worker === 'undefined') return null;
    let worker: Worker;
    try {
      worker = new Worker(new URL('./overlayWorker.ts', import.meta.url), { type: 'module' });
    } catch {
      return null;
    }
    const offscreen = this.canvas.transferControlToOffscreen();
    worker.postMessage({ type: 'canvas', canvas: offscreen }, [offscreen]);
    worker.onmessage = (e: MessageEvent<PainterOutput>) => this.heard(e.data);
    // a worker that cannot start (its script not served, a policy): this thread draws on a new canvas instead
    worker.onerror = () => {
      worker.terminate();
      this.canvas.remove();
      this.canvas = this.newCanvas();
      this.painter = this.localPainter();
      this.laidOut = false;
      this.regionDirty = true;
      this.schedule();
    };
    return { send: (msg, transfer) => worker.postMessage(msg, transfer ?? []), close: () => worker.terminate() };
  }

  private localPainter(): Painter {
    const painter = new OverlayPainter(this.canvas, (out) => this.heard(out));
    return { send: (msg) => painter.handle(msg), close: () => undefined };
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
      const b = it.visible ? this.boxOf(it) : null;
      if (b && (any || !it.native) && it.visible && x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]) return it;
    }
    return null;
  }

  private flush(): void {
    // reads first (styles, positions), then writes (which of the texts SVG draws, the canvas); anything but new
    // values draws everything again, new values alone redraw the rectangles where glyphs changed
    let whole = this.forceDraw || !this.laidOut;
    this.forceDraw = false;
    if (this.regionDirty) {
      this.layoutRegion();
      whole = true;
    }
    const ancestors = new Map<Element, AncestorInfo>();
    for (const item of this.items)
      if (item.dirty) {
        this.refresh(item, ancestors);
        whole = true;
      }
    for (const item of this.items) {
      const native = !item.drawable || item === this.hovered || item === this.focused;
      if (native !== item.native) {
        item.native = native;
        item.tspan.style.display = native ? '' : 'none';
        whole = true;
      }
    }
    if (whole) this.layout();
    else if (this.pending.length) this.sendTexts();
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
    item.font = `${item.fontStyle} ${item.fontSize * item.scale * this.dpr}px ${item.fontFamily}`;
    item.glyphs = this.glyphs.font(item.font);
  }

  /** Tells the painter where every text is, how it looks and what it says: a whole drawing. */
  private layout(): void {
    const { width, height, left, top } = this.region;
    const dpr = this.dpr;
    const fonts: string[] = [];
    const fontIndex = new Map<string, number>();
    const specs = new Float64Array(this.items.length * SPEC);
    const texts: string[] = [];
    let s = 0;
    for (const item of this.items) {
      const text = item.live.nodeValue ?? '';
      item.drawn = text;
      item.pending = false;
      item.boxOf = null;
      item.cx = (this.svgLeft + item.x) * dpr - left;
      item.cy = (this.svgTop + item.y) * dpr - top;
      item.px = item.fontSize * item.scale * dpr;
      let f = fontIndex.get(item.font);
      if (f === undefined) fontIndex.set(item.font, (f = fonts.push(item.font) - 1));
      const c = item.colour;
      specs[s] = f;
      specs[s + 1] = c[0];
      specs[s + 2] = c[1];
      specs[s + 3] = c[2];
      specs[s + 4] = c[3];
      specs[s + 5] = item.cx;
      specs[s + 6] = item.cy;
      specs[s + 7] = item.px;
      specs[s + 8] = ANCHORS[item.anchor] ?? 0;
      specs[s + 9] = !item.native && item.visible && item.glyphs ? 1 : 0;
      s += SPEC;
      texts.push(text);
    }
    this.pending.length = 0;
    this.laidOut = true;
    this.painter.send({ type: 'layout', width, height, fonts, specs, texts }, [specs.buffer]);
  }

  /** Hands the painter the texts with a new value since the last drawing (it redraws only where glyphs changed). */
  private sendTexts(): void {
    const index = new Int32Array(this.pending.length * 2);
    const texts: string[] = [];
    let n = 0;
    for (const item of this.pending) {
      item.pending = false;
      const text = item.next;
      if (text === item.drawn) continue;
      item.drawn = text;
      index[n++] = item.index;
      index[n++] = text.length;
      texts.push(text);
    }
    this.pending.length = 0;
    if (!n) return;
    const sent = n < index.length ? index.slice(0, n) : index;
    this.painter.send({ type: 'texts', index: sent, joined: texts.join('') }, [sent.buffer]);
  }

  /** The box SVG would hit-test for the drawn text (the em box: ascent ~0.9 em, descent ~0.25 em), null off the canvas. */
  private boxOf(item: Item): Box | null {
    const text = item.drawn;
    if (item.boxOf === text) return item.box;
    item.boxOf = text;
    const glyphs = item.glyphs;
    if (!glyphs || text === null) return (item.box = null);
    const advance = glyphs.measure(text);
    const shift = item.anchor === 'middle' ? advance / 2 : item.anchor === 'end' ? advance : 0;
    const { width, height } = this.region;
    const dpr = this.dpr;
    const px = item.px;
    if (item.cx - shift > width || item.cy - px > height || item.cy + px < 0) return (item.box = null);
    const bx = item.x - shift / dpr;
    return (item.box = [bx, item.y - 0.9 * (px / dpr), bx + advance / dpr, item.y + 0.25 * (px / dpr)]);
  }
}
