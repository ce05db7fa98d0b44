import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { ensureBuilt } from '../../scripts/build-lib.mjs';
// @ts-expect-error plain JS module without types
import { NODE_FLAGS } from '../../scripts/node-flags.mjs';
// @ts-expect-error plain JS module without types
import { electronBinary, startPlan } from '../../scripts/start-lib.mjs';
import { RotatingLog } from '../../src/main/logs';
import { trayState, trayTooltip } from '../../src/main/tray';
import { usableBounds } from '../../src/main/window';
import { ROOT } from '../support/process';

describe('npm start decides between the desktop app and the headless server', () => {
  const root = '/app';
  const files = (...present: string[]) => (f: string) => present.includes(f);
  const read = () => 'electron';

  it('falls back to the headless server, saying so in one line, when Electron has no binary', () => {
    const plan = startPlan(root, files(), read);
    expect(plan.mode).toBe('headless');
    expect(plan.message.split('\n')).toHaveLength(1);
    // the built headless entry, which builds out/ itself when it is missing or stale
    expect(plan.args).toEqual([...NODE_FLAGS, path.join(root, 'scripts', 'built.mjs'), 'serve', '--auto']);
    // path.txt without the downloaded binary is still "no binary"
    expect(electronBinary(root, files('/app/node_modules/electron/path.txt'), read)).toBeNull();
  });

  it('runs Electron on the built main process when the binary is there', () => {
    const present = files('/app/node_modules/electron/path.txt', '/app/node_modules/electron/dist/electron', '/app/out/main/index.js', '/app/out/preload/index.cjs', '/app/out/renderer/index.html');
    const plan = startPlan(root, present, read);
    expect(plan).toMatchObject({ mode: 'electron', binary: '/app/node_modules/electron/dist/electron', needsBuild: false, args: [`--js-flags=${NODE_FLAGS.join(' ')}`, '/app/out/main/index.js'] });
  });

  it('npm run serve and npm run cli give node the same V8 options as every other start path', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(NODE_FLAGS.length).toBeGreaterThan(0);
    for (const name of ['serve', 'cli']) expect(scripts[name]).toBe(['node', ...NODE_FLAGS, 'scripts/built.mjs', ...(name === 'serve' ? ['serve'] : [])].join(' '));
  });

  it('on this machine (no Electron binary) plans the headless server', () => {
    expect(startPlan(ROOT).mode).toBe('headless');
  });
});

describe('tray, window bounds and logs', () => {
  it('the tray tells offline data sources and unacknowledged alarms', () => {
    const s = { dataSourcesOnline: 3, dataSourcesOffline: 1, unacknowledgedAlarms: 2, highestAlarmPriority: 'CRITICAL' };
    expect(trayTooltip(s)).toBe('Switchyard: 1 data source offline, 2 unacknowledged alarms (highest CRITICAL)');
    expect(trayState(s)).toBe('attention');
    const calm = { dataSourcesOnline: 3, dataSourcesOffline: 0, unacknowledgedAlarms: 0, highestAlarmPriority: null };
    expect(trayState(calm)).toBe('normal');
    expect(trayTooltip(calm)).toContain('3 data sources online');
  });

  it('remembered bounds are dropped when no display shows them any more', () => {
    const display = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    expect(usableBounds({ x: 100, y: 100, width: 1200, height: 800 }, display)).toEqual({ x: 100, y: 100, width: 1200, height: 800 });
    expect(usableBounds({ x: 3000, y: 100, width: 1200, height: 800 }, display)).toBeUndefined();
    expect(usableBounds({ x: 0, y: 0, width: 100, height: 100 }, display)).toBeUndefined();
  });

  it('the log rotates by size and keeps a bounded number of files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-log-'));
    const file = path.join(dir, 'logs', 'switchyard.log');
    const log = new RotatingLog(file, 1000, 2);
    for (let i = 0; i < 100; i++) log.write(`line ${i} ${'x'.repeat(50)}`);
    const names = fs.readdirSync(path.dirname(file)).sort();
    expect(names).toEqual(['switchyard.log', 'switchyard.log.1', 'switchyard.log.2']);
    for (const n of names) expect(fs.statSync(path.join(dir, 'logs', n)).size).toBeLessThanOrEqual(1000);
    expect(fs.readFileSync(file, 'utf8')).toContain('line 99');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('npm run build', () => {
  it('bundles main, the headless cli, preload and renderer; native modules stay external; cli needs no Electron', () => {
    // out/ as the test run's global setup built it (the same build `npm run build` makes)
    ensureBuilt(ROOT);
    const outDir = path.join(ROOT, 'out');
    const read = (f: string) => fs.readFileSync(path.join(outDir, f), 'utf8');
    const main = read('main/index.js');
    const cli = read('main/cli.js');
    const chunks = fs.readdirSync(path.join(outDir, 'main')).filter((f) => f.endsWith('.js') && f !== 'index.js' && f !== 'cli.js');
    const runtime = chunks.map((f) => read(`main/${f}`)).join('\n');
    expect(fs.existsSync(path.join(outDir, 'preload', 'index.cjs'))).toBe(true);
    expect(read('renderer/index.html')).toMatch(/<script type="module" crossorigin src="\.?\/assets\/index-[\w-]+\.js"><\/script>/);
    expect(runtime).toMatch(/from "better-sqlite3"/);
    expect(main).toMatch(/from "electron"/);
    expect(`${main}${cli}${runtime}`).not.toContain('bindings.node');
    // the headless entry and the runtime it shares with the desktop app never load Electron
    expect(`${cli}${runtime}`).not.toMatch(/from "electron"/);
    const preload = read('preload/index.cjs');
    expect(preload).toContain('exposeInMainWorld');
    expect(preload).not.toMatch(/require\("(fs|child_process|node:fs)"\)/);
  });
});
