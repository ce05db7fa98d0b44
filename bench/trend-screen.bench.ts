/**
 * A day's trend on screen, click to drawn: a server in a child process (`npm run serve`'s built JavaScript, the
 * built renderer), one trended point with a day of 1 s samples (86,400) imported through
 * POST /api/points/{id}/history, the Trends screen in Chromium at 1920x1080. Each run clicks '1 h', waits for it
 * to be drawn, then clicks '24 h' and times from the click to echarts' `finished` of the day's chart
 * (window.__switchyardTrendDrawn, recorded by TrendChart). Prints the median of the runs (goal < 300 ms).
 */
import { login } from '../test/support/process';
import { loginInBrowser, startE2e } from '../test/e2e/support/browser';

const PASSWORD = 'Bench-Trend-Screen-1';
const SAMPLES = 86_400;
const RUNS = Number(process.env.TREND_SCREEN_RUNS ?? 7);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<void> {
  const e2e = await startE2e('--empty', PASSWORD, { width: 1920, height: 1080 });
  try {
    const { url } = e2e.server;
    const { headers } = await login(url, 'administrator', PASSWORD);
    const post = async (route: string, data: unknown) => {
      const r = await fetch(`${url}/api${route}`, { method: 'POST', headers, body: JSON.stringify({ data }) });
      const body = (await r.json()) as { id: number };
      if (r.status >= 300) throw new Error(`POST ${route}: ${r.status} ${JSON.stringify(body)}`);
      return body;
    };
    const gw = await post('/gateways', { name: 'Bench' });
    const ds = await post('/datasources', { name: 'Bench logger', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
    const point = await post('/points', { name: 'Day at 1 s', data_source_id: ds.id, object_type: 'ANALOG_VALUE', units: 'kW', ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
    // the day ends a minute ago, so both '1 h' and '24 h' show data
    const end = Math.floor((Date.now() - 60_000) / 1000) * 1000;
    const start = end - (SAMPLES - 1) * 1000;
    const rows = Array.from({ length: SAMPLES }, (_, k) => `{"utc_date_time":"${new Date(start + k * 1000).toISOString()}","value":${(100 * Math.sin(k / 600) + (k % 7)).toFixed(2)}}`);
    const imported = await fetch(`${url}/api/points/${point.id}/history`, { method: 'POST', headers, body: `{"data":[${rows.join(',')}]}` });
    const result = (await imported.json()) as { imported: number };
    if (imported.status !== 200 || result.imported !== SAMPLES) throw new Error(`import: ${imported.status} ${JSON.stringify(result)}`);

    const page = e2e.page;
    await page.goto(`${url}/#/trends?points=${point.id}`);
    await loginInBrowser(page, PASSWORD);
    await page.locator('.trend-chart canvas').first().waitFor({ timeout: 30_000 });
    // no live tail: a reload every 5 s would race the measured click
    await page.getByLabel('Live tail').uncheck();
    // the last drawn chart once it starts before (a day) or after (an hour) `split`
    const lastDrawn = async (split: number, day: boolean) =>
      (await (
        await page.waitForFunction(
          ([at, isDay]) => {
            const list = (window as unknown as { __switchyardTrendDrawn?: { at: number; first: number; samples: number }[] }).__switchyardTrendDrawn ?? [];
            const d = list[list.length - 1];
            return d && (isDay ? d.first < at : d.first > at) ? d : false;
          },
          [split, day] as const,
          { timeout: 30_000, polling: 'raf' },
        )
      ).jsonValue()) as { at: number; samples: number };
    const split = end - 2 * 3_600_000;
    const ms: number[] = [];
    let samples = 0;
    for (let i = 0; i < RUNS; i++) {
      await page.getByRole('button', { name: '1 h' }).click();
      await lastDrawn(split, false);
      await page.waitForTimeout(300);
      // the click's time is taken in the page, at the event, so playwright's round trips are not counted
      await page.evaluate(() => {
        const w = window as unknown as { clickAt_?: number };
        document.addEventListener('click', () => (w.clickAt_ = performance.now()), { capture: true, once: true });
      });
      await page.getByRole('button', { name: '24 h' }).click();
      const drawn = await lastDrawn(split, true);
      const clickAt = await page.evaluate(() => (window as unknown as { clickAt_: number }).clickAt_);
      ms.push(drawn.at - clickAt);
      samples = drawn.samples;
    }
    if (e2e.pageErrors.length) throw new Error(`page errors: ${e2e.pageErrors.join('; ')}`);
    console.log(`trend screen: a day at 1 s (${SAMPLES.toLocaleString('en-US')} samples) in Chromium 1920x1080, ${samples.toLocaleString('en-US')} values drawn`);
    console.log(`  click '24 h' -> drawn        median ${median(ms).toFixed(0)} ms, min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)} (${RUNS} runs; goal < 300 ms)`);
  } finally {
    await e2e.stop();
  }
}
