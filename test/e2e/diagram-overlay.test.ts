/**
 * A large diagram in Chromium: its live texts are drawn by the text overlay (src/renderer/src/diagram/textOverlay.ts)
 * instead of SVG text layout. What the operator sees must be what SVG would have shown: each check crops the
 * screen where the overlay drew a value and compares it with Chromium's own SVG rendering of the same text (the
 * overlay hands a text back to SVG while the pointer is over it) and of a different value. Also after the diagram
 * is scaled (a narrower window) and for a text scrolled into view; a click on a drawn value opens its faceplate.
 * A new value alone redraws only the rectangle where its glyphs changed: the canvas then holds exactly the pixels
 * of a whole drawing, with the text it overlaps intact.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, loginInBrowser, startE2e, type E2eServer } from './support/browser';

const PASSWORD = 'Overlay-Test-1';
const FILLERS = 160;
const POLL = { timeout: 30_000, interval: 200 };
type Box = [number, number, number, number];

describe.skipIf(!haveChromium())('a large diagram draws its live texts on the overlay, as SVG would', { timeout: 300_000 }, () => {
  let e2e: E2eServer;
  let page: Page;
  let compare: Page;
  const errors: string[] = [];
  const ids: Record<string, number> = {};

  const api = async <T>(method: string, route: string, data?: unknown): Promise<T> => {
    const r = await fetch(`${e2e.server.url}/api${route}`, { method, headers: e2e.headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  /** a hand-written value: quality 'manual', shown with an M */
  const write = (name: string, value: number) => api('PUT', `/points/${ids[name]}/write`, { value });
  const sel = (name: string) => `.diagram-canvas text[data-point="${ids[name]}"][data-role="${name}"]`;
  /** what the overlay shows of a text, or null while SVG draws it */
  const shown = (name: string) =>
    page.evaluate((s) => {
      const host = document.querySelector('.diagram-canvas') as HTMLElement & { textOverlay?: { shown(el: Element): { text: string; box: Box } | null } };
      const el = document.querySelector(s);
      return el && host.textOverlay ? host.textOverlay.shown(el) : null;
    }, sel(name));
  const textOf = (name: string) => page.locator(sel(name)).textContent();
  /** the overlay's painter (a worker) has drawn what it was handed, and two frames have shown it */
  const painted = () =>
    page.evaluate(async () => {
      const host = document.querySelector('.diagram-canvas') as HTMLElement & { textOverlay?: { snapshot(): Promise<unknown> } };
      await host.textOverlay?.snapshot();
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    });
  const crop = (box: Box) => page.screenshot({ clip: { x: box[0] - 3, y: box[1] - 3, width: box[2] - box[0] + 6, height: box[3] - box[1] + 6 } });
  /**
   * The share (0..1) of pixels that differ clearly (by more than 96 of 255 in a channel) between two same-sized
   * PNGs, decoded by Chromium on a blank page: antialiasing differs by less, a different glyph by more.
   */
  const difference = (a: Buffer, b: Buffer) =>
    compare.evaluate(
      async ([x, y]) => {
        const pixels = async (b64: string) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
          const c = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d')!;
          c.drawImage(bmp, 0, 0);
          return c.getImageData(0, 0, bmp.width, bmp.height).data;
        };
        const [p, q] = [await pixels(x), await pixels(y)];
        if (p.length !== q.length) return 1;
        let differ = 0;
        for (let i = 0; i < p.length; i += 4) if (Math.max(Math.abs(p[i] - q[i]), Math.abs(p[i + 1] - q[i + 1]), Math.abs(p[i + 2] - q[i + 2])) > 96) differ++;
        return differ / (p.length / 4);
      },
      [a.toString('base64'), b.toString('base64')],
    );

  /**
   * `name` shows `value` (formatted `expected`): in the DOM, on the overlay, and as pixels that match SVG's own
   * rendering of that text much better than SVG's rendering of `other` (both written while SVG draws the text).
   * The overlay's pixels come from a worker and reach the screen a frame or more after the DOM (more on a loaded
   * machine): the comparison is repeated until they are there, and fails if they never match.
   */
  async function showsLikeSvg(name: string, value: number, expected: string, other: number, otherExpected: string): Promise<void> {
    await page.mouse.move(1, 1);
    await write(name, value);
    await expect.poll(() => textOf(name), POLL).toBe(expected);
    await expect.poll(async () => (await shown(name))?.text, POLL).toBe(expected);
    const box = (await shown(name))!.box;
    // the pointer over the text hands it to SVG: the same value, then another one, drawn by Chromium's SVG text
    await page.mouse.move((box[0] + box[2]) / 2, (box[1] + box[3]) / 2);
    await expect.poll(() => shown(name), POLL).toBeNull();
    await page.waitForTimeout(300); // two frames for SVG's paint, generously
    const svgSame = await crop(box);
    await write(name, other);
    await expect.poll(() => textOf(name), POLL).toBe(otherExpected);
    await page.waitForTimeout(300);
    const svgOther = await crop(box);
    // the value again, the pointer away: the overlay draws it
    await write(name, value);
    await expect.poll(() => textOf(name), POLL).toBe(expected);
    await page.mouse.move(1, 1);
    await expect.poll(async () => (await shown(name))?.text, POLL).toBe(expected);
    let drawn: Buffer | null = null;
    await expect
      .poll(async () => {
        await painted();
        drawn = await crop(box);
        const same = await difference(drawn, svgSame);
        const different = await difference(drawn, svgOther);
        // the other value must look different, and the overlay much more like SVG's same text than like the other
        return different > 0.03 && same < different / 4 ? 'like SVG' : `overlay vs SVG ${same.toFixed(3)}, vs another value ${different.toFixed(3)}`;
      }, POLL)
      .toBe('like SVG');
    if (process.env.OVERLAY_CROPS) for (const [k, b] of Object.entries({ drawn: drawn!, svgSame, svgOther })) (await import('node:fs')).writeFileSync(`${process.env.OVERLAY_CROPS}/${name}-${value}-${k}.png`, b);
    // and on the overlay with a newer value
    await write(name, other);
    await expect.poll(async () => (await shown(name))?.text, POLL).toBe(otherExpected);
  }

  beforeAll(async () => {
    e2e = await startE2e('--empty', PASSWORD, { width: 1366, height: 768 });
    page = e2e.page;
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    compare = await e2e.browser.newPage();
    const gw = await api<{ id: number }>('POST', '/gateways', { name: 'Overlay' });
    const ds = await api<{ id: number }>('POST', '/datasources', { name: 'Hand values', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
    for (const name of ['Filler', 'Feeder', 'Far', 'Left', 'Right']) {
      ids[name] = (await api<{ id: number }>('POST', '/points', { name, data_source_id: ds.id, object_type: 'ANALOG_VALUE', address: {} })).id;
    }
    const fillers = Array.from(
      { length: FILLERS },
      (_, i) => `<text x="${20 + (i % 8) * 120}" y="${140 + Math.floor(i / 8) * 24}" data-point="${ids.Filler}" data-role="Filler" data-binding="text:format=0.0;units=kW">-</text>`,
    ).join('');
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 2400" width="1000" height="2400" font-family="sans-serif" font-size="14">` +
      `<rect x="0" y="0" width="1000" height="2400" fill="#f4f4f4"/>` +
      `<text x="20" y="40" fill="#222">Feeder</text>` +
      `<text x="120" y="40" font-size="20" fill="#222" data-point="${ids.Feeder}" data-role="Feeder" data-binding="text:format=0.0;units=kW">--- kW</text>` +
      // two texts whose glyphs overlap: redrawing the first's changed glyphs must redraw the second where they meet
      `<text x="20" y="100" font-size="16" fill="#222" data-point="${ids.Left}" data-role="Left" data-binding="text:format=0.0;units=kW">-</text>` +
      `<text x="60" y="106" font-size="16" fill="#b00000" data-point="${ids.Right}" data-role="Right" data-binding="text:format=0.0;units=kW">-</text>` +
      fillers +
      `<text x="500" y="2300" font-size="18" text-anchor="middle" fill="#003399" data-point="${ids.Far}" data-role="Far" data-binding="text:format=0.00;units=A">--- A</text>` +
      `</svg>`;
    await api('POST', '/svgs', { name: 'Large diagram', svg });
    await write('Filler', 1);
    await write('Left', 1);
    await write('Right', 2);
    await page.goto(`${e2e.server.url}/#/diagrams`);
    await loginInBrowser(page, PASSWORD);
    await page.locator('canvas.sy-text-overlay').waitFor({ state: 'attached', timeout: 60_000 });
  });
  afterAll(async () => e2e?.stop());

  it('shows the value SVG would show, in the DOM and on screen', async () => {
    await showsLikeSvg('Feeder', 12.5, '12.5 kW M', 87.3, '87.3 kW M');
    // every filler text is drawn, with its value
    await expect.poll(async () => (await page.locator(sel('Filler')).allTextContents()).every((t) => t === '1.0 kW M'), POLL).toBe(true);
    expect(await page.evaluate(async () => (await (document.querySelector('.diagram-canvas') as HTMLElement & { textOverlay: { snapshot(): Promise<{ stats: { drawn: number } }> } }).textOverlay.snapshot()).stats.drawn)).toBeGreaterThanOrEqual(FILLERS);
  });

  it('redraws only where a new value changed the glyphs, with the pixels of a whole drawing', async () => {
    await page.mouse.move(1, 1);
    await expect.poll(async () => [(await shown('Left'))?.text, (await shown('Right'))?.text], POLL).toEqual(['1.0 kW M', '2.0 kW M']);
    /** the overlay canvas's pixels (read by its painter, in the worker), kept in the page under `key`, and its drawing counts */
    const keep = (key: string) =>
      page.evaluate(async (k) => {
        const host = document.querySelector('.diagram-canvas') as HTMLElement & { textOverlay: { snapshot(): Promise<{ width: number; data: Uint8ClampedArray; stats: { draws: number; partials: number } }> } };
        const c = document.querySelector('canvas.sy-text-overlay') as HTMLCanvasElement;
        const shot = await host.textOverlay.snapshot();
        const kept = ((window as unknown as { kept_?: Record<string, { width: number; data: Uint8ClampedArray }> }).kept_ ??= {});
        kept[k] = shot;
        return { ...shot.stats, width: shot.width, left: c.getBoundingClientRect().left, top: c.getBoundingClientRect().top, dpr: devicePixelRatio };
      }, key);
    /** the pixels that differ between two kept images: how many, and their bounding box in client CSS px */
    const differ = (a: string, b: string) =>
      page.evaluate(
        ([x, y]) => {
          const kept = (window as unknown as { kept_: Record<string, { width: number; data: Uint8ClampedArray }> }).kept_;
          const c = document.querySelector('canvas.sy-text-overlay') as HTMLCanvasElement;
          const r = c.getBoundingClientRect();
          const [p, q] = [kept[x].data, kept[y].data];
          const width = kept[x].width;
          if (p.length !== q.length || width !== kept[y].width) return { n: -1, box: [0, 0, 0, 0] };
          let [n, x0, y0, x1, y1] = [0, Infinity, Infinity, -Infinity, -Infinity];
          for (let i = 0; i < p.length; i += 4)
            if (p[i] !== q[i] || p[i + 1] !== q[i + 1] || p[i + 2] !== q[i + 2] || p[i + 3] !== q[i + 3]) {
              n++;
              const px = (i / 4) % width;
              const py = Math.floor(i / 4 / width);
              [x0, y0, x1, y1] = [Math.min(x0, px), Math.min(y0, py), Math.max(x1, px), Math.max(y1, py)];
            }
          const d = devicePixelRatio;
          return { n, box: [r.left + x0 / d, r.top + y0 / d, r.left + (x1 + 1) / d, r.top + (y1 + 1) / d] };
        },
        [a, b],
      );
    /** a whole drawing of the same values (a resize event makes the overlay draw everything again) */
    const whole = async (key: string) => {
      const draws = (await keep(key)).draws;
      await page.evaluate(() => window.dispatchEvent(new Event('resize')));
      await expect.poll(async () => (await keep(key)).draws, POLL).toBeGreaterThan(draws);
    };
    const inside = (b: Box, outer: Box) => b[0] >= outer[0] - 2 && b[1] >= outer[1] - 2 && b[2] <= outer[2] + 2 && b[3] <= outer[3] + 2;

    for (const [value, expected] of [
      [12345.6, '12,345.6 kW M'],
      [12345.9, '12,345.9 kW M'],
      [3, '3.0 kW M'],
    ] as const) {
      const before = await keep('before');
      const oldBox = (await shown('Left'))!.box;
      await write('Left', value);
      await expect.poll(async () => (await shown('Left'))?.text, POLL).toBe(expected);
      const after = await keep('partial');
      expect(after.partials, 'a new value alone is a partial drawing').toBeGreaterThan(before.partials);
      expect(after.draws, 'no whole drawing in between').toBe(before.draws);
      // only the changed text's pixels changed (its old or its new box)
      const newBox = (await shown('Left'))!.box;
      const changed = await differ('before', 'partial');
      expect(changed.n).toBeGreaterThan(0);
      const both: Box = [Math.min(oldBox[0], newBox[0]), Math.min(oldBox[1], newBox[1]), Math.max(oldBox[2], newBox[2]), Math.max(oldBox[3], newBox[3])];
      expect(inside(changed.box as Box, both), `changed pixels ${changed.box} within ${both}`).toBe(true);
      // and they are exactly those of a whole drawing: the overlapping text was redrawn where it was cleared
      await whole('whole');
      expect((await differ('partial', 'whole')).n).toBe(0);
      expect((await shown('Right'))?.text).toBe('2.0 kW M');
    }
  });

  it('still does once the diagram is drawn smaller (a narrower window)', async () => {
    await page.setViewportSize({ width: 900, height: 700 });
    await expect.poll(async () => {
      const b = (await shown('Feeder'))?.box;
      return b ? b[3] - b[1] : 0;
    }, POLL).toBeLessThan(20);
    await showsLikeSvg('Feeder', 45.6, '45.6 kW M', 3.2, '3.2 kW M');
  });

  it('draws a text scrolled into view with its current value', async () => {
    await write('Far', 7.25);
    await expect.poll(() => textOf('Far'), POLL).toBe('7.25 A M');
    // the operator scrolls down to it (the screen's content scrolls)
    await page.evaluate(() => document.querySelector('main#content')!.scrollTo(0, 1e6));
    await expect.poll(async () => (await shown('Far'))?.text, POLL).toBe('7.25 A M');
    await showsLikeSvg('Far', 9.5, '9.50 A M', 1234.5, '1,234.50 A M');
  });

  it('opens the faceplate of a drawn value on a click', async () => {
    await page.evaluate(() => document.querySelector('main#content')!.scrollTo(0, 0));
    // the overlay follows the scroll at its next frame: on a loaded machine a box read before it is where the text
    // was, so the click waits until the drawn box stays put across two frames
    const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    let box: Box = [0, 0, 0, 0];
    await expect
      .poll(async () => {
        const a = (await shown('Feeder'))?.box;
        await frames();
        const b = (await shown('Feeder'))?.box;
        if (!a || !b || b[1] <= 0 || a.some((v, i) => v !== b[i])) return false;
        box = b;
        return true;
      }, POLL)
      .toBe(true);
    await page.mouse.click((box[0] + box[2]) / 2, (box[1] + box[3]) / 2);
    const faceplate = page.getByRole('dialog', { name: 'Faceplate: Feeder' });
    await faceplate.waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape');
    await faceplate.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
    expect(e2e.pageErrors).toEqual([]);
  });

  it('draws the same pixels on the main thread, where a browser has no OffscreenCanvas (the fallback)', async () => {
    /** a digest of the overlay canvas's pixels as its painter reads them, and where that painter runs */
    const digest = () =>
      page.evaluate(async () => {
        const host = document.querySelector('.diagram-canvas') as HTMLElement & { textOverlay?: { snapshot(): Promise<{ width: number; height: number; data: Uint8ClampedArray }> } };
        if (!host?.textOverlay) return null;
        // a painter that never answers (a dead worker) is a failed poll, not a hung test
        const shot = await Promise.race([host.textOverlay.snapshot(), new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
        if (!shot) return null;
        const words = new Uint32Array(shot.data.buffer);
        let [h, inked] = [0x811c9dc5, 0];
        for (let i = 0; i < words.length; i++) {
          if (words[i]) inked++;
          h = Math.imul(h ^ words[i], 0x01000193) >>> 0;
        }
        // a canvas handed to a worker has no context here
        const context = () => {
          try {
            return document.querySelector<HTMLCanvasElement>('canvas.sy-text-overlay')!.getContext('2d');
          } catch {
            return null;
          }
        };
        return { size: `${shot.width}x${shot.height}`, h, inked, worker: !context() };
      });
    await page.mouse.move(1, 1);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    // the worker's drawing, once it stays the same across two reads
    let drawn: Awaited<ReturnType<typeof digest>> = null;
    await expect
      .poll(async () => {
        const a = await digest();
        const b = await digest();
        drawn = b;
        return a !== null && JSON.stringify(a) === JSON.stringify(b) && a.inked > 0;
      }, POLL)
      .toBe(true);
    expect(drawn!.worker).toBe(true);
    await page.evaluate(() => localStorage.setItem('switchyard.diagram.textOverlay', 'main'));
    try {
      await page.reload();
      await page.locator('canvas.sy-text-overlay').waitFor({ state: 'attached', timeout: 60_000 });
      await page.mouse.move(1, 1);
      await expect.poll(async () => JSON.stringify(await digest()), POLL).toBe(JSON.stringify({ ...drawn!, worker: false }));
    } finally {
      await page.evaluate(() => localStorage.removeItem('switchyard.diagram.textOverlay'));
    }
    // a worker that cannot start (its script not served): the main thread draws the same on a new canvas
    await page.route('**/overlayWorker-*.js', (route) => route.abort());
    try {
      await page.reload();
      await page.locator('canvas.sy-text-overlay').waitFor({ state: 'attached', timeout: 60_000 });
      await page.mouse.move(1, 1);
      await expect.poll(async () => JSON.stringify(await digest()), POLL).toBe(JSON.stringify({ ...drawn!, worker: false }));
      expect(await page.locator('canvas.sy-text-overlay').count()).toBe(1);
    } finally {
      await page.unroute('**/overlayWorker-*.js');
    }
    // the aborted script is a console error of its own; nothing else may be
    errors.splice(0, errors.length, ...errors.filter((e) => !/overlayWorker|net::ERR_FAILED/.test(e)));
    expect(errors).toEqual([]);
    expect(e2e.pageErrors).toEqual([]);
  });
});
