/**
 * The HMI hot path in Chromium: a diagram with 2,000 bound elements, all updated once a second through the
 * real server (value bus -> /api/live -> zustand store -> SVG binder). Prints the script+render time per update
 * (from the first DOM change of an update to the second painted frame, so at least one frame's wait: 16 ms),
 * Chromium's main-thread CPU time per update (CDP Performance.getMetrics in thread time: script, style, layout and every
 * other task, paint recording included, from the publication until the last text shows it and two more frames are drawn,
 * less the same page's idle rate over that window; goal < 16 ms) and the latency from the
 * value's publication to its text on screen (goal p95 < 300 ms; a device's scan interval comes on top).
 * DIAGRAM_CHANGING=0.1: only that share of the points gets a new value each second (every tenth, the last one
 * included), as in a plant where most values hold still; by default all of them change.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemContext } from '../src/core/demo/defaults';
import { createRuntime } from '../src/core/runtime';
import { ensureRenderer, launchChromium } from '../test/e2e/support/browser';
import { ValueBatch } from '../src/core/values/batch';

const ELEMENTS = 2000;
const UPDATES = 24;
const PASSWORD = 'Bench-Diagram-1';
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

export async function run(): Promise<void> {
  const rendererDir = ensureRenderer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-diagram-'));
  const runtime = createRuntime({ dataDir, port: 0, seed: 'empty', adminPassword: PASSWORD, rendererDir, log: () => undefined });
  const { url } = await runtime.start();
  const ctx = runtime.context!;
  const browser = await launchChromium();
  try {
    const sys = systemContext(ctx.store);
    const create = (key: string, data: Record<string, unknown>) => ctx.registry.create(sys, ctx.registry.get(key), data);
    const gw = create('gateways', { name: 'Bench' });
    const ds = create('datasources', { name: 'Bench values', gateway_id: gw, protocol: 'manual', connection: '{}' });
    const ids: number[] = [];
    ctx.store.tx(() => {
      for (let i = 0; i < ELEMENTS; i++) ids.push(create('points', { name: `P${i}`, data_source_id: ds, object_type: 'ANALOG_VALUE', is_trend: false, address: '{}' }));
    });
    const cols = 40;
    const texts = ids.map((id, i) => `<text x="${(i % cols) * 48}" y="${Math.floor(i / cols) * 16 + 12}" data-point="${id}" data-binding="text:format=0">-</text>`).join('');
    create('svgs', { name: 'Bench diagram', svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1920 820" font-size="10">${texts}</svg>` });

    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    // DIAGRAM_OVERLAY=off: every text drawn by SVG, as before the text overlay (for before/after figures)
    if (process.env.DIAGRAM_OVERLAY === 'off') await page.addInitScript(() => localStorage.setItem('switchyard.diagram.textOverlay', 'off'));
    await page.goto(`${url}/#/diagrams`);
    await page.getByLabel('User name or e-mail').fill('administrator');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    // attached, not visible: a large diagram's texts are drawn by the text overlay, their SVG glyphs hidden
    await page.locator(`.diagram-canvas text[data-point="${ids[0]}"]`).waitFor({ state: 'attached' });
    const lastId = ids[ids.length - 1];
    const step = Math.max(1, Math.round(1 / Number(process.env.DIAGRAM_CHANGING ?? 1)));
    const changing = ids.filter((_, i) => (ids.length - 1 - i) % step === 0);
    await page.evaluate((firstId) => {
      const w = window as unknown as { frames_: number[]; latencies_: number[] };
      w.frames_ = [];
      w.latencies_ = [];
      let batchStart: number | null = null;
      // the first text with a new value (the binder writes it first): one record per update, not one per text
      const firstText = document.querySelector(`.diagram-canvas text[data-point="${firstId}"]`)!;
      new MutationObserver((records) => {
        const t = performance.now();
        if (batchStart === null) {
          batchStart = t;
          requestAnimationFrame(() =>
            requestAnimationFrame(() => {
              w.frames_.push(performance.now() - batchStart!);
              batchStart = null;
            }),
          );
        }
        // each value is the epoch ms of its publication (mod 1e7): the text tells how late it is
        const first = records[0]?.target.textContent;
        const v = Number(String(first ?? '').replace(/[^\d]/g, ''));
        if (v > 0) w.latencies_.push((Date.now() % 1e7) - v);
      }).observe(firstText, { subtree: true, characterData: true, childList: true });
    }, changing[0]);
    // Chromium's own accounting of its main thread (CDP Performance.getMetrics, cumulative CPU seconds): sampled
    // just before each update, the difference to the next sample is one update's script, style, layout and
    // every other main-thread task (paint recording included), plus a second of an otherwise idle page
    const cdp = await page.context().newCDPSession(page);
    // thread CPU time, not wall time: on a loaded machine the wall clock counts the other processes' turns too
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    const metrics = async () => Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.map((m) => [m.name, m.value]));
    // the same page's idle second (no update), subtracted from each update's second
    const idle0 = await metrics();
    await new Promise((r) => setTimeout(r, 3000));
    const idle1 = await metrics();
    const idle = (name: string) => ((idle1[name] - idle0[name]) * 1000 * 1000) / (idle1.Timestamp * 1000 - idle0.Timestamp * 1000);
    // each update: the metrics just before the publication and once the last bound text shows it and two more
    // frames have been drawn (so its paint is in), less the idle rate over that window
    // DIAGRAM_PROFILE=file.cpuprofile: the page's JavaScript CPU profile over the updates (open it in DevTools)
    const profile = process.env.DIAGRAM_PROFILE;
    // DIAGRAM_TRACE=file.json: a Chromium trace of the updates (every thread), for where the time goes
    if (process.env.DIAGRAM_TRACE) await browser.startTracing(page, { path: process.env.DIAGRAM_TRACE, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'v8'] });
    if (profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    // the overlay's counts as its painter (a worker) has them, and its drawing time so far
    const overlayStats = async () =>
      (await page.evaluate('(async () => { const o = document.querySelector(".diagram-canvas").textOverlay; return o ? (await o.snapshot(false)).stats : null; })()')) as { drawMs: number } | null;
    let drawn0: { drawMs: number } | null = null;
    const windows: Record<string, number>[] = [];
    for (let u = 0; u < UPDATES; u++) {
      if (u === 2) drawn0 = await overlayStats();
      const before = await metrics();
      const stamp = Date.now() % 1e7;
      // a string, not a function: tsx's name helpers do not exist in the page
      const shown = page.evaluate(`new Promise((resolve) => {
        const el = document.querySelector('.diagram-canvas text[data-point="${lastId}"]');
        const done = () => requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
        const shows = () => (el.textContent || '').replace(/[^0-9]/g, '') === '${stamp}';
        if (shows()) return done();
        const mo = new MutationObserver(() => {
          if (!shows()) return;
          mo.disconnect();
          done();
        });
        mo.observe(el, { subtree: true, characterData: true, childList: true });
      })`);
      ctx.values.publish(ValueBatch.of(changing.map((id) => ({ point_id: id, value: stamp, quality: 'good' as const, ts: Date.now() }))));
      await shown;
      const after = await metrics();
      windows.push(Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]])));
      await new Promise((r) => setTimeout(r, Math.max(100, 1000 - windows[windows.length - 1].Timestamp * 1000)));
    }
    if (process.env.DIAGRAM_TRACE) await browser.stopTracing();
    if (profile) fs.writeFileSync(profile, JSON.stringify(((await cdp.send('Profiler.stop')) as { profile: unknown }).profile));
    const perUpdate = (name: string) => windows.slice(2).map((w) => w[name] * 1000 - idle(name) * w.Timestamp);
    const { frames, latencies, script } = await page.evaluate(() => {
      const w = window as unknown as { frames_: number[]; latencies_: number[]; __switchyardDiagramUpdateMs?: number[] };
      return { frames: w.frames_, latencies: w.latencies_.filter((x) => x >= 0 && x < 10_000), script: w.__switchyardDiagramUpdateMs ?? [] };
    });
    const steady = frames.slice(2);
    console.log(`diagram: ${ELEMENTS} bound elements, ${changing.length} of them with a new value at 1 Hz, in Chromium (${steady.length} updates measured)`);
    const scripted = script.slice(-steady.length);
    console.log(`  script per update (binder)   median ${pct(scripted, 0.5).toFixed(1)} ms, p95 ${pct(scripted, 0.95).toFixed(1)} ms`);
    console.log(`  script + render per update   median ${pct(steady, 0.5).toFixed(1)} ms, p95 ${pct(steady, 0.95).toFixed(1)} ms (goal < 16 ms; up to the second painted frame, software rendering, 2 shared cores)`);
    const task = perUpdate('TaskDuration');
    console.log(
      `  main thread CPU per update   (${windows.length - 2} updates) median ${pct(task, 0.5).toFixed(1)} ms, p95 ${pct(task, 0.95).toFixed(1)} ms: script ${pct(perUpdate('ScriptDuration'), 0.5).toFixed(1)}, ` +
        `style ${pct(perUpdate('RecalcStyleDuration'), 0.5).toFixed(1)}, layout ${pct(perUpdate('LayoutDuration'), 0.5).toFixed(1)} ms (medians, from publication to drawn, ${pct(windows.slice(2).map((w) => w.Timestamp * 1000), 0.5).toFixed(0)} ms wall, idle ${idle('TaskDuration').toFixed(1)} ms/s taken off; ${(pct(perUpdate('LayoutCount'), 0.5) / 1000).toFixed(1)} layouts; goal < 16 ms)`,
    );
    const drawn1 = await overlayStats();
    console.log(`  text overlay                 ${drawn1 ? JSON.stringify(drawn1) : 'off (SVG draws the texts)'}`);
    if (drawn0 && drawn1) console.log(`  overlay drawing              ${((drawn1.drawMs - drawn0.drawMs) / (UPDATES - 2)).toFixed(1)} ms per update (mean; in the overlay's worker, off the main thread, wall time)`);
    console.log(`  publication -> on screen     median ${pct(latencies, 0.5).toFixed(0)} ms, p95 ${pct(latencies, 0.95).toFixed(0)} ms (goal p95 < 300 ms, plus the device's scan)`);
  } finally {
    await browser.close();
    await runtime.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
