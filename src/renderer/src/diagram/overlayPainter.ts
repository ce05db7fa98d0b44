/**
 * The text overlay's drawing (see textOverlay.ts): the live texts' glyphs copied into one image that is put on
 * the overlay's canvas. It runs in a worker on the canvas's OffscreenCanvas (overlayWorker.ts), so that copying
 * glyphs and committing the 1.6-megapixel canvas cost the page's main thread nothing, or on the main thread where
 * a browser has no OffscreenCanvas. The main thread tells it where the texts are and how they look (`layout`,
 * after any change of style, geometry, scroll or of which texts SVG draws) and their new values (`texts`).
 *
 * New values alone redraw only where glyphs changed: for each text, the rectangle between the characters it kept at
 * the start and (where they kept their place) at the end is cleared and every text reaching into it (found through
 * a grid of CELL-pixel cells) drawn again, clipped to it, in drawing order: the pixels of a whole drawing.
 */
import { drawText, GlyphCache, inkOf, type FontGlyphs, type Rect, type Rgba } from './glyphs';

/**
 * Numbers per text in a layout's `specs`: font (index into `fonts`), r, g, b, a (0..255), pen x, baseline y, font size
 * (device pixels), anchor (ANCHORS), shown (1: the overlay draws it).
 */
export const SPEC = 10;
/** text-anchor as a number in a layout's specs */
export const ANCHORS: Record<string, number> = { start: 0, middle: 1, end: 2 };

export type PainterInput =
  /** where every text is and how it looks (device pixels on the canvas; pen before the anchor's shift), then a whole drawing */
  | { type: 'layout'; width: number; height: number; fonts: string[]; specs: Float64Array; texts: string[] }
  /**
   * new values of some texts, drawn at once: `index` holds pairs (index into the layout, length of its text), `joined`
   * the texts one after the other (in Chromium, posting 2,000 texts joined cost the page 0.4 ms, as an array of
   * strings 1.8 ms, as UTF-16 code units in a transferred buffer 1.0 ms)
   */
  | { type: 'texts'; index: Int32Array; joined: string }
  /** for tests: the canvas's pixels (unless `pixels` is false) and the counts, answered with a `snapshot` of the same id */
  | { type: 'snapshot'; id: number; pixels: boolean };

export interface PainterStats {
  /** whole drawings, partial ones and the rectangles they redrew, texts in the last whole drawing, ms spent drawing */
  draws: number;
  partials: number;
  rects: number;
  drawn: number;
  drawMs: number;
}

export type PainterOutput = { type: 'snapshot'; id: number; width: number; height: number; data: Uint8ClampedArray; stats: PainterStats };

type Canvas2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

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

interface Text {
  glyphs: FontGlyphs;
  colour: Rgba;
  /** the pen before the anchor's shift and the baseline (device pixels on the canvas), font size in device pixels */
  x: number;
  y: number;
  px: number;
  anchor: number;
  /** the overlay draws it (visible, drawable, not handed to SVG) */
  shown: boolean;
  /** its value now, and as drawn */
  text: string;
  drawn: string;
  /** it lies on the canvas; its pen and baseline as drawn, and the pixels its glyphs cover */
  placed: boolean;
  penX: number;
  baseY: number;
  ink: Rect;
  /** the cells of the grid it is listed in (x0, y0, x1, y1 inclusive), or null */
  cells: Rect | null;
  pending: boolean;
  /** the last search of the grid that found it */
  seen: number;
  /** its place in the drawing order */
  index: number;
}

export class OverlayPainter {
  private readonly glyphs = new GlyphCache();
  private texts: Text[] = [];
  private width = 0;
  private height = 0;
  private image: ImageData | null = null;
  private words: Uint32Array | null = null;
  private pending: Text[] = [];
  /** the drawn texts by the grid cells their glyphs touch (indexes into texts), for redrawing a rectangle */
  private grid: number[][] = [];
  private gridColumns = 0;
  private searches = 0;
  private readonly found: number[] = [];
  readonly stats: PainterStats = { draws: 0, partials: 0, rects: 0, drawn: 0, drawMs: 0 };

  constructor(
    private readonly canvas: HTMLCanvasElement | OffscreenCanvas,
    private readonly reply: (out: PainterOutput, transfer?: Transferable[]) => void,
  ) {}

  private context: Canvas2D | null = null;
  private get ctx(): Canvas2D {
    return (this.context ??= this.canvas.getContext('2d') as Canvas2D);
  }

  /** Does what the message asks; only a snapshot is answered (no message back per drawing: it would be a task on the page). */
  handle(msg: PainterInput): void {
    if (msg.type === 'layout') this.layout(msg.width, msg.height, msg.fonts, msg.specs, msg.texts);
    else if (msg.type === 'texts') this.update(msg.index, msg.joined);
    else {
      const data = msg.pixels && this.width && this.height ? this.ctx.getImageData(0, 0, this.width, this.height).data : new Uint8ClampedArray(0);
      this.reply({ type: 'snapshot', id: msg.id, width: this.width, height: this.height, data, stats: { ...this.stats } }, [data.buffer]);
    }
  }

  private layout(width: number, height: number, fonts: string[], specs: Float64Array, values: string[]): void {
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.image = null;
    }
    this.width = width;
    this.height = height;
    const glyphs = fonts.map((f) => this.glyphs.font(f));
    const texts: Text[] = [];
    for (let i = 0, s = 0; i < values.length; i++, s += SPEC) {
      const font = glyphs[specs[s]];
      texts.push({
        glyphs: font,
        colour: [specs[s + 1], specs[s + 2], specs[s + 3], specs[s + 4]],
        x: specs[s + 5],
        y: specs[s + 6],
        px: specs[s + 7],
        anchor: specs[s + 8],
        shown: specs[s + 9] === 1,
        text: values[i],
        drawn: values[i],
        placed: false,
        penX: 0,
        baseY: 0,
        ink: [0, 0, 0, 0],
        cells: null,
        pending: false,
        seen: 0,
        index: i,
      });
    }
    this.texts = texts;
    this.draw();
  }

  private update(index: Int32Array, joined: string): void {
    for (let i = 0, at = 0; i < index.length; i += 2) {
      const t = this.texts[index[i]];
      const end = at + index[i + 1];
      const text = joined.slice(at, end);
      at = end;
      if (!t) continue;
      t.text = text;
      if (!t.pending) {
        t.pending = true;
        this.pending.push(t);
      }
    }
    // a rectangle costs about three times a text of a whole drawing (finding its neighbours, clipping): with
    // many new values at once, one whole drawing is cheaper
    if (!this.image || this.pending.length * 3 > this.stats.drawn) this.draw();
    else if (this.pending.length) this.drawChanged();
  }

  /** Puts the text's pen and ink on the canvas, and with `paint` draws it; false when it lies outside the canvas. */
  private place(t: Text, paint: boolean): boolean {
    const text = t.text;
    const w = t.anchor === 0 ? 0 : t.glyphs.measure(text);
    const x = t.x - (t.anchor === 1 ? w / 2 : t.anchor === 2 ? w : 0);
    const y = t.y;
    t.penX = x;
    t.baseY = y;
    const ink = t.ink;
    if (x > this.width || y - t.px > this.height || y + t.px < 0) {
      ink[0] = ink[1] = ink[2] = ink[3] = 0;
      return (t.placed = false);
    }
    if (paint) drawText(this.image!.data, this.words!, this.width, this.height, t.glyphs, text, x, y, t.colour, undefined, ink);
    else inkOf(t.glyphs, text, x, y, 0, text.length, ink);
    this.clamp(ink);
    return (t.placed = true);
  }

  private clamp(r: Rect): void {
    r[0] = Math.max(0, r[0]);
    r[1] = Math.max(0, r[1]);
    r[2] = Math.min(this.width, r[2]);
    r[3] = Math.min(this.height, r[3]);
  }

  /** Lists the text in the grid cells its ink touches (cells it was listed in stay listed until the next whole drawing). */
  private list(t: Text): void {
    const ink = t.ink;
    if (empty(ink)) return;
    const cols = this.gridColumns;
    const gx0 = Math.floor(ink[0] / CELL);
    const gy0 = Math.floor(ink[1] / CELL);
    const gx1 = Math.floor((ink[2] - 1) / CELL);
    const gy1 = Math.floor((ink[3] - 1) / CELL);
    const c = t.cells;
    if (c && gx0 >= c[0] && gy0 >= c[1] && gx1 <= c[2] && gy1 <= c[3]) return;
    const u: Rect = c ? [Math.min(gx0, c[0]), Math.min(gy0, c[1]), Math.max(gx1, c[2]), Math.max(gy1, c[3])] : [gx0, gy0, gx1, gy1];
    for (let gy = u[1]; gy <= u[3]; gy++)
      for (let gx = u[0]; gx <= u[2]; gx++) if (!c || gx < c[0] || gx > c[2] || gy < c[1] || gy > c[3]) this.grid[gy * cols + gx].push(t.index);
    t.cells = u;
  }

  /** Everything again: clears the image and draws every text the overlay draws. */
  private draw(): void {
    const t0 = performance.now();
    const { width, height } = this;
    let drawn = 0;
    for (const t of this.pending) t.pending = false;
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
      const texts = this.texts;
      for (let i = 0; i < texts.length; i++) {
        const t = texts[i];
        t.drawn = t.text;
        t.cells = null;
        t.placed = false;
        t.ink[0] = t.ink[1] = t.ink[2] = t.ink[3] = 0;
        if (!t.shown || !this.place(t, true)) continue;
        this.list(t);
        drawn++;
      }
      this.ctx.putImageData(this.image, 0, 0);
    }
    this.stats.draws++;
    this.stats.drawMs += performance.now() - t0;
    this.stats.drawn = drawn;
  }

  /** Only the new values: the rectangles where glyphs changed, with every text reaching into them, clipped to them. */
  private drawChanged(): void {
    const t0 = performance.now();
    const rects: Rect[] = [];
    const spare: Rect = [0, 0, 0, 0];
    for (const t of this.pending) {
      t.pending = false;
      const text = t.text;
      const old = t.drawn;
      t.drawn = text;
      if (old === text || !t.shown) continue;
      const oldX = t.penX;
      const wasPlaced = t.placed;
      const placed = this.place(t, false);
      const glyphs = t.glyphs;
      // the characters kept at the start, and at the end if what is before them has the same width
      let start = 0;
      let end = 0;
      if (wasPlaced && placed && t.penX === oldX) {
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
      if (wasPlaced) inkOf(glyphs, old, oldX, t.baseY, start, old.length - end, rect);
      if (placed) {
        inkOf(glyphs, text, t.penX, t.baseY, start, text.length - end, spare);
        if (empty(rect)) rect.splice(0, 4, ...spare);
        else if (!empty(spare)) union(rect, spare);
        this.list(t);
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
    const { width, height } = this;
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
          const t = this.texts[i];
          if (t.seen === search) continue;
          t.seen = search;
          if (meets(t.ink, rect)) found.push(i);
        }
    if (found.length > 1) found.sort(ascending);
    for (const i of found) {
      const t = this.texts[i];
      if (t.shown && t.placed) drawText(buf, words, width, height, t.glyphs, t.drawn, t.penX, t.baseY, t.colour, rect);
    }
  }

  /** Puts the changed rectangles on the canvas: each on its own, or when there are many their bounding box. */
  private put(rects: Rect[]): void {
    const image = this.image!;
    const ctx = this.ctx;
    if (rects.length <= MAX_PUTS) {
      for (const r of rects) ctx.putImageData(image, 0, 0, r[0], r[1], r[2] - r[0], r[3] - r[1]);
      return;
    }
    const u: Rect = [...rects[0]];
    for (const r of rects) union(u, r);
    ctx.putImageData(image, 0, 0, u[0], u[1], u[2] - u[0], u[3] - u[1]);
  }
}
