/**
 * Readability of text in the page: the text colour's contrast against the background actually behind it
 * (WCAG 2.x relative luminance), with the opacity of the element and its ancestors applied.
 */
import type { Locator } from 'playwright-core';

export interface Readability {
  /** product of the opacities of the element and its ancestors */
  opacity: number;
  /** WCAG contrast ratio of the text over its background, opacity applied */
  contrast: number;
  color: string;
  background: string;
}

export function readability(el: Locator): Promise<Readability> {
  return el.evaluate((node) => {
    const rgba = (c: string): [number, number, number, number] => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return [0, 0, 0, 0];
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    let opacity = 1;
    let background: [number, number, number, number] | null = null;
    for (let e: Element | null = node; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      opacity *= Number(cs.opacity);
      const bg = rgba(cs.backgroundColor);
      if (!background && bg[3] > 0) background = bg;
    }
    const bg = background ?? [255, 255, 255, 1];
    const fg = rgba(getComputedStyle(node).color);
    // the text as seen: its colour blended over the background by its alpha and the opacities above it
    const a = fg[3] * opacity;
    const seen = [0, 1, 2].map((i) => fg[i] * a + bg[i] * (1 - a));
    const lum = (c: number[]) => {
      const [r, g, b] = c.map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const l1 = lum(seen);
    const l2 = lum(bg.slice(0, 3));
    const contrast = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    return { opacity, contrast, color: getComputedStyle(node).color, background: `rgba(${bg.join(',')})` };
  });
}

/** Samples an element's readability `n` times over `ms` milliseconds (covering whole blink cycles). */
export async function sampleReadability(el: Locator, n = 8, ms = 2200): Promise<Readability[]> {
  const out: Readability[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await readability(el));
    await new Promise((r) => setTimeout(r, ms / n));
  }
  return out;
}
