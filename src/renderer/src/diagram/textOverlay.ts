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
import { drawText, GlyphCache, inkOf, parseColour, type FontGlyphs, type Rect, type Rgba } from './glyphs';

export const OVERLAY_MIN_TEXTS = 100;
/** the side of a cell of the grid that finds the texts drawn in a rectangle (device pixels) */
const CELL = 64;
/** more changed rectangles than this are put on the canvas as their bounding box, in one call */
const MAX_PUTS = 64;
const ascending = (a: number, b: number) => a - b;
const empty = (r: Readonly<Rect>) => r[2] <= r[0] || r[3] <= r[1];
const meets = (a: Readonly<Rect>, b: Readonly<Rect>) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
/** `r` becomes the bounding box of `r` and `s` (both not empty) */
function union(r: Rect, s: Readonly<Rect>): void {
  r[0] = Math.min(r[0], s[0]);
  r[1] = Math.min(r[1], s[1]);
  r[2] = Math.max(r[2], s[2]);
  r[3] = Math.max(r[3], s[3]);
}
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
  /** its place in the drawing order */
  index: number;
  /** pen and baseline of the drawn text on the canvas (device pixels), and the pixels its glyphs cover */
  penX: number;
  baseY: number;
  ink: Rect;
  /** the cells of the grid it is listed in (x0, y0, x1, y1 inclusive), or null */
  cells: Rect | null;
  /** its value changed since the last drawing */
  pending: boolean;
  /** the last search of the grid that found it */
  seen: number;
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
  /** texts with a new value since the last drawing */
  private pending: Item[] = [];
  /** the drawn texts by the grid cells their glyphs touch (indexes into items), for redrawing a rectangle */
  private grid: number[][] = [];
  private gridColumns = 0;
  private searches = 0;
  private readonly found: number[] = [];
  /**
   * for tests and diagnostics: whole drawings, partial ones (only changed texts) and the rectangles they
   * redrew, style reads so far, texts in the last whole drawing, time spent drawing
   */
  readonly stats = { draws: 0, partials: 0, rects: 0, refreshes: 0, drawn: 0, drawMs: 0 };

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
          glyphs: null,
          anchor: 'start',
          x: 0,
          y: 0,
          scale: 1,
          drawn: null,
          box: null,
          index: this.items.length,
          penX: 0,
          baseY: 0,
          ink: [0, 0, 0, 0],
          cells: null,
          pending: false,
          seen: 0,
        };
        this.items.push(item);
        this.byEl.set(b.el, item);
      }
      const it = item;
      b.textNode = it.live;
      // the binder wrote a new value: that text is redrawn (only where its glyphs changed) at the next render
      b.onText = () => {
        if (it.pending) return;
        it.pending = true;
        if (this.pending.push(it) === 1) this.schedule();
      };
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
    // reads first (styles, positions), then writes (which of the texts SVG draws, the canvas); anything but new
    // values draws everything again, new values alone redraw the rectangles where glyphs changed
    let whole = this.forceDraw || !this.image;
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
    // a rectangle costs about three times a text of a whole drawing (finding its neighbours, clipping): with
    // many new values at once, one whole drawing is cheaper
    if (whole || this.pending.length * 3 > this.stats.drawn) this.draw();
    else if (this.pending.length) this.drawChanged();
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

  /**
   * Puts the text's pen and ink on the canvas and its hit box, and with `paint` draws it; false when it lies
   * outside the canvas.
   */
  private place(item: Item, glyphs: FontGlyphs, text: string, paint: boolean): boolean {
    const { width, height, left, top } = this.region;
    const dpr = this.dpr;
    const px = item.fontSize * item.scale * dpr;
    const w = item.anchor === 'start' ? 0 : glyphs.measure(text);
    const shift = item.anchor === 'middle' ? w / 2 : item.anchor === 'end' ? w : 0;
    const x = (this.svgLeft + item.x) * dpr - shift - left;
    const y = (this.svgTop + item.y) * dpr - top;
    item.penX = x;
    item.baseY = y;
    const ink = item.ink;
    if (x > width || y - px > height || y + px < 0) {
      item.box = null;
      ink[0] = ink[1] = ink[2] = ink[3] = 0;
      return false;
    }
    const advance = paint ? drawText(this.image!.data, this.words!, width, height, glyphs, text, x, y, item.colour, undefined, ink) : inkOf(glyphs, text, x, y, 0, text.length, ink) - x;
    this.clamp(ink);
    // the box SVG would hit-test: the em box (ascent ~0.9 em, descent ~0.25 em)
    const bx = item.x - shift / dpr;
    item.box = [bx, item.y - 0.9 * (px / dpr), bx + advance / dpr, item.y + 0.25 * (px / dpr)];
    return true;
  }

  private clamp(r: Rect): void {
    r[0] = Math.max(0, r[0]);
    r[1] = Math.max(0, r[1]);
    r[2] = Math.min(this.region.width, r[2]);
    r[3] = Math.min(this.region.height, r[3]);
  }

  /** Lists the item in the grid cells its ink touches (cells it was listed in stay listed until the next whole drawing). */
  private list(item: Item): void {
    const ink = item.ink;
    if (empty(ink)) return;
    const cols = this.gridColumns;
    const gx0 = Math.floor(ink[0] / CELL);
    const gy0 = Math.floor(ink[1] / CELL);
    const gx1 = Math.floor((ink[2] - 1) / CELL);
    const gy1 = Math.floor((ink[3] - 1) / CELL);
    const c = item.cells;
    if (c && gx0 >= c[0] && gy0 >= c[1] && gx1 <= c[2] && gy1 <= c[3]) return;
    const u: Rect = c ? [Math.min(gx0, c[0]), Math.min(gy0, c[1]), Math.max(gx1, c[2]), Math.max(gy1, c[3])] : [gx0, gy0, gx1, gy1];
    for (let gy = u[1]; gy <= u[3]; gy++)
      for (let gx = u[0]; gx <= u[2]; gx++) if (!c || gx < c[0] || gx > c[2] || gy < c[1] || gy > c[3]) this.grid[gy * cols + gx].push(item.index);
    item.cells = u;
  }

  /** Everything again: clears the canvas and draws every text the overlay draws. */
  private draw(): void {
    const t0 = performance.now();
    const { width, height } = this.region;
    let drawn = 0;
    this.pending.length = 0;
    if (width && height) {
      if (!this.image) {
        this.image = new ImageData(width, height);
        this.words = new Uint32Array(this.image.data.buffer);
      }
      this.words!.fill(0);
      this.gridColumns = Math.ceil(width / CELL);
      const cells = this.gridColumns * Math.ceil(height / CELL);
      if (this.grid.length !== cells) this.grid = Array.from({ length: cells }, () => []);
      else for (const c of this.grid) c.length = 0;
      for (const item of this.items) {
        const text = item.live.nodeValue ?? '';
        item.drawn = text;
        item.pending = false;
        item.cells = null;
        item.ink[0] = item.ink[1] = item.ink[2] = item.ink[3] = 0;
        if (item.native || !item.visible || !item.glyphs || !this.place(item, item.glyphs, text, true)) continue;
        this.list(item);
        drawn++;
      }
      this.ctx.putImageData(this.image, 0, 0);
    }
    this.stats.draws++;
    this.stats.drawMs += performance.now() - t0;
    this.stats.drawn = drawn;
  }

  /**
   * Only the new values: for each text, the rectangle where its glyphs changed (between the characters it kept
   * at the start and, where they kept their place, at the end) is cleared and every text that reaches into it
   * drawn again, clipped to it, in the drawing order: the same pixels as drawing everything again.
   */
  private drawChanged(): void {
    const t0 = performance.now();
    const rects: Rect[] = [];
    const spare: Rect = [0, 0, 0, 0];
    for (const item of this.pending) {
      item.pending = false;
      const text = item.live.nodeValue ?? '';
      const old = item.drawn ?? '';
      item.drawn = text;
      const glyphs = item.glyphs;
      if (old === text || item.native || !item.visible || !glyphs) continue;
      const oldX = item.penX;
      const wasPlaced = item.box !== null;
      const placed = this.place(item, glyphs, text, false);
      // the characters kept at the start, and at the end if what is before them has the same width
      let start = 0;
      let end = 0;
      if (wasPlaced && placed && item.penX === oldX) {
        const n = Math.min(old.length, text.length);
        while (start < n && old.charCodeAt(start) === text.charCodeAt(start)) start++;
        if (start > 0 && start < n && (old.charCodeAt(start - 1) & 0xfc00) === 0xd800) start--;
        while (end < n - start && old.charCodeAt(old.length - 1 - end) === text.charCodeAt(text.length - 1 - end)) end++;
        if (end > 0 && (old.charCodeAt(old.length - end) & 0xfc00) === 0xdc00) end--;
        // (the pen as drawText moves it, glyph by glyph: the same sum in the same order)
        if (end > 0 && inkOf(glyphs, old, oldX, 0, old.length - end, old.length - end, spare) !== inkOf(glyphs, text, oldX, 0, text.length - end, text.length - end, spare)) end = 0;
      }
      // the old glyphs from there on and the new ones
      const rect: Rect = [0, 0, 0, 0];
      if (wasPlaced) inkOf(glyphs, old, oldX, item.baseY, start, old.length - end, rect);
      if (placed) {
        inkOf(glyphs, text, item.penX, item.baseY, start, text.length - end, spare);
        if (empty(rect)) rect.splice(0, 4, ...spare);
        else if (!empty(spare)) union(rect, spare);
        this.list(item);
      }
      this.clamp(rect);
      if (!empty(rect)) rects.push(rect);
    }
    this.pending.length = 0;
    for (const rect of rects) this.redraw(rect);
    if (rects.length) this.put(rects);
    this.stats.partials++;
    this.stats.rects += rects.length;
    this.stats.drawMs += performance.now() - t0;
  }

  /** Clears a rectangle of the image and draws the texts that reach into it, clipped to it. */
  private redraw(rect: Rect): void {
    const { width, height } = this.region;
    const buf = this.image!.data;
    const words = this.words!;
    for (let y = rect[1]; y < rect[3]; y++) words.fill(0, y * width + rect[0], y * width + rect[2]);
    const search = ++this.searches;
    const found = this.found;
    found.length = 0;
    const cols = this.gridColumns;
    for (let gy = Math.floor(rect[1] / CELL); gy <= Math.floor((rect[3] - 1) / CELL); gy++)
      for (let gx = Math.floor(rect[0] / CELL); gx <= Math.floor((rect[2] - 1) / CELL); gx++)
        for (const i of this.grid[gy * cols + gx]) {
          const item = this.items[i];
          if (item.seen === search) continue;
          item.seen = search;
          if (meets(item.ink, rect)) found.push(i);
        }
    if (found.length > 1) found.sort(ascending);
    for (const i of found) {
      const item = this.items[i];
      if (!item.native && item.visible && item.glyphs && item.box) drawText(buf, words, width, height, item.glyphs, item.drawn ?? '', item.penX, item.baseY, item.colour, rect);
    }
  }

  /** Puts the changed rectangles on the canvas: each on its own, or when there are many their bounding box. */
  private put(rects: Rect[]): void {
    const image = this.image!;
    if (rects.length <= MAX_PUTS) {
      for (const r of rects) this.ctx.putImageData(image, 0, 0, r[0], r[1], r[2] - r[0], r[3] - r[1]);
      return;
    }
    const u: Rect = [...rects[0]];
    for (const r of rects) union(u, r);
    this.ctx.putImageData(image, 0, 0, u[0], u[1], u[2] - u[0], u[3] - u[1]);
  }
}
