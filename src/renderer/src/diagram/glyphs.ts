/**
 * Text drawn without text layout: each character of a font at a device pixel size is rendered once by the
 * browser's own canvas text (the font engine SVG text uses too) and kept as an alpha bitmap; a string is then
 * drawn by copying its characters' bitmaps into an RGBA buffer. Shaping a new string (what SVG text layout and
 * canvas fillText both do for every new value) costs about 20 µs; copying a number's glyphs about 2 µs.
 * No kerning or ligatures: meant for values (digits, units, state names), not prose.
 */
export interface Glyph {
  /** advance width in device pixels (fractional) */
  advance: number;
  /** bitmap origin relative to the pen position (x) and the baseline (y), in device pixels */
  left: number;
  top: number;
  w: number;
  h: number;
  alpha: Uint8Array;
  /** the bitmap as little-endian RGBA words in the last colour asked for (most diagrams use one or two) */
  tinted?: Uint32Array;
  tint?: number;
}

/** One font's glyphs: Latin-1 in an array (the hot path of numbers and units), the rest in a map. */
export class FontGlyphs {
  readonly latin: (Glyph | undefined)[] = [];
  readonly other = new Map<number, Glyph>();
  constructor(
    readonly cache: GlyphCache,
    readonly font: string,
  ) {}

  get(code: number): Glyph {
    let g = code < 256 ? this.latin[code] : this.other.get(code);
    if (!g) {
      g = this.cache.render(this.font, String.fromCodePoint(code));
      if (code < 256) this.latin[code] = g;
      else this.other.set(code, g);
    }
    return g;
  }

  /** The width of a string in device pixels (the sum of its characters' advances). */
  measure(text: string): number {
    let w = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.codePointAt(i)!;
      if (code > 0xffff) i++;
      w += this.get(code).advance;
    }
    return w;
  }
}

export class GlyphCache {
  private readonly fonts = new Map<string, FontGlyphs>();
  private readonly ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

  constructor() {
    // a page's canvas, or in a worker (the overlay's painter) an OffscreenCanvas: the same font engine
    const c = typeof document === 'undefined' ? new OffscreenCanvas(16, 16) : document.createElement('canvas');
    c.width = c.height = 16;
    this.ctx = c.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
  }

  font(font: string): FontGlyphs {
    let f = this.fonts.get(font);
    if (!f) this.fonts.set(font, (f = new FontGlyphs(this, font)));
    return f;
  }

  render(font: string, ch: string): Glyph {
    const ctx = this.ctx;
    ctx.font = font;
    const m = ctx.measureText(ch);
    const left = Math.ceil(m.actualBoundingBoxLeft) + 1;
    const right = Math.ceil(m.actualBoundingBoxRight) + 1;
    const ascent = Math.ceil(m.actualBoundingBoxAscent) + 1;
    const descent = Math.ceil(m.actualBoundingBoxDescent) + 1;
    const w = Math.max(0, left + right);
    const h = Math.max(0, ascent + descent);
    if (!w || !h || ch.trim() === '') return { advance: m.width, left: 0, top: 0, w: 0, h: 0, alpha: new Uint8Array(0) };
    const canvas = ctx.canvas;
    if (canvas.width < w || canvas.height < h) {
      canvas.width = Math.max(canvas.width, w);
      canvas.height = Math.max(canvas.height, h);
      ctx.font = font; // resizing a canvas resets its state
    }
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#000';
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    ctx.fillText(ch, left, ascent);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    // trimmed to the pixels the glyph covers: every pixel copied per value counts
    let [x0, y0, x1, y1] = [w, h, -1, -1];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        if (rgba[(y * w + x) * 4 + 3]) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
        }
    if (x1 < 0) return { advance: m.width, left: 0, top: 0, w: 0, h: 0, alpha: new Uint8Array(0) };
    const tw = x1 - x0 + 1;
    const th = y1 - y0 + 1;
    const alpha = new Uint8Array(tw * th);
    for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) alpha[y * tw + x] = rgba[((y + y0) * w + x + x0) * 4 + 3];
    return { advance: m.width, left: x0 - left, top: y0 - ascent, w: tw, h: th, alpha };
  }
}

/** A colour as premultiplied-free RGBA 0..255 (alpha already multiplied by the opacities in effect). */
export type Rgba = [number, number, number, number];

/** A rectangle of device pixels: x0, y0 (inclusive), x1, y1 (exclusive); empty when x1 <= x0 or y1 <= y0. */
export type Rect = [number, number, number, number];

/**
 * Draws `text` into an RGBA buffer (`words`: the same pixels as little-endian 32-bit words) `width` x `height`
 * pixels with its pen at (x, baseline y), source-over on what is there; only the pixels inside `clip` (default:
 * the whole buffer, which it must lie in) are written. Returns the text's advance width; `ink` gets the pixels its
 * glyphs cover, clipped or not (as inkOf; empty for a transparent colour).
 */
export function drawText(buf: Uint8ClampedArray, words: Uint32Array, width: number, height: number, glyphs: FontGlyphs, text: string, x: number, y: number, colour: Rgba, clip?: Readonly<Rect>, ink?: Rect): number {
  // plain variables, no destructuring: this runs for every text of every drawing
  const r = colour[0];
  const g = colour[1];
  const b = colour[2];
  const a = colour[3];
  if (a <= 0) {
    if (ink) ink[0] = ink[1] = ink[2] = ink[3] = 0;
    return glyphs.measure(text);
  }
  const cx0 = clip ? clip[0] : 0;
  const cy0 = clip ? clip[1] : 0;
  const cx1 = clip ? clip[2] : width;
  const cy1 = clip ? clip[3] : height;
  let ix0 = Infinity;
  let iy0 = Infinity;
  let ix1 = -Infinity;
  let iy1 = -Infinity;
  const tint = ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
  let pen = x;
  const baseline = Math.round(y);
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    if (code > 0xffff) i++;
    const gl = glyphs.get(code);
    const gx = Math.round(pen) + gl.left;
    const gy = baseline + gl.top;
    pen += gl.advance;
    if (ink && gl.w) {
      if (gx < ix0) ix0 = gx;
      if (gy < iy0) iy0 = gy;
      if (gx + gl.w > ix1) ix1 = gx + gl.w;
      if (gy + gl.h > iy1) iy1 = gy + gl.h;
    }
    const x0 = Math.max(0, cx0 - gx);
    const x1 = Math.min(gl.w, cx1 - gx);
    const y0 = Math.max(0, cy0 - gy);
    const y1 = Math.min(gl.h, cy1 - gy);
    if (x1 <= x0 || y1 <= y0) continue;
    if (gl.tint !== tint || !gl.tinted) {
      const t = (gl.tinted ??= new Uint32Array(gl.alpha.length));
      for (let k = 0; k < t.length; k++) {
        const cov = gl.alpha[k];
        t[k] = cov ? ((((cov * a + 127) / 255) << 24) | (b << 16) | (g << 8) | r) >>> 0 : 0;
      }
      gl.tint = tint;
    }
    const px = gl.tinted;
    for (let yy = y0; yy < y1; yy++) {
      let src = yy * gl.w + x0;
      let dst = (gy + yy) * width + gx + x0;
      for (let xx = x0; xx < x1; xx++, src++, dst++) {
        const p = px[src];
        if (!p) continue;
        const under = words[dst];
        if (!under) {
          words[dst] = p;
          continue;
        }
        // over another text's pixel: source-over with straight (non-premultiplied) alpha
        const o = dst * 4;
        const sa = p >>> 24;
        const da = buf[o + 3];
        const oa = sa + da * (1 - sa / 255);
        const k = sa / oa;
        buf[o] = r * k + buf[o] * (1 - k);
        buf[o + 1] = g * k + buf[o + 1] * (1 - k);
        buf[o + 2] = b * k + buf[o + 2] * (1 - k);
        buf[o + 3] = oa;
      }
    }
  }
  if (ink) {
    if (ix1 < ix0) ink[0] = ink[1] = ink[2] = ink[3] = 0;
    else {
      ink[0] = ix0;
      ink[1] = iy0;
      ink[2] = ix1;
      ink[3] = iy1;
    }
  }
  return pen - x;
}

/**
 * The pixels that the characters of `text` from code unit `from` to `to` cover, drawn as drawText draws them (pen
 * at x, baseline y), into `out` (empty when they cover none). Returns the pen position at `to`.
 */
export function inkOf(glyphs: FontGlyphs, text: string, x: number, y: number, from: number, to: number, out: Rect): number {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  let pen = x;
  const baseline = Math.round(y);
  for (let i = 0; i < to; i++) {
    const at = i;
    const code = text.codePointAt(i)!;
    if (code > 0xffff) i++;
    const gl = glyphs.get(code);
    if (at >= from && gl.w) {
      const gx = Math.round(pen) + gl.left;
      const gy = baseline + gl.top;
      if (gx < x0) x0 = gx;
      if (gy < y0) y0 = gy;
      if (gx + gl.w > x1) x1 = gx + gl.w;
      if (gy + gl.h > y1) y1 = gy + gl.h;
    }
    pen += gl.advance;
  }
  if (x1 < x0) x0 = y0 = x1 = y1 = 0;
  out[0] = x0;
  out[1] = y0;
  out[2] = x1;
  out[3] = y1;
  return pen;
}

/** 'rgb(1, 2, 3)' / 'rgba(1, 2, 3, 0.5)' / 'rgb(1 2 3 / 50%)' -> [r, g, b, alpha 0..1], or null (none, url(), …). */
export function parseColour(css: string): [number, number, number, number] | null {
  const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+)(%)?)?\s*\)$/.exec(css.trim());
  if (!m) return null;
  const alpha = m[4] === undefined ? 1 : m[5] ? Number(m[4]) / 100 : Number(m[4]);
  return [Number(m[1]), Number(m[2]), Number(m[3]), alpha];
}
