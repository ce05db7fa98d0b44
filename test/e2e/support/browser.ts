/**
 * End-to-end support: Debian's Chromium through playwright-core, and the renderer built once (under a lock)
 * when out/renderer is missing or older than its sources. With CI=true a missing Chromium fails the suite.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from '../../support/process';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const RENDERER_DIR = path.join(ROOT, 'out', 'renderer');
export const ARTIFACTS_DIR = path.join(ROOT, 'artifacts');

export function haveChromium(): boolean {
  const ok = fs.existsSync(CHROMIUM);
  if (!ok && process.env.CI === 'true') throw new Error('chromium (apt: chromium) is missing');
  return ok;
}

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the renderer when it is missing or older than its sources (one build at a time on this machine). */
export function ensureRenderer(): string {
  const index = path.join(RENDERER_DIR, 'index.html');
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= newest(path.join(ROOT, 'src', 'renderer'))) return RENDERER_DIR;
  execFileSync('flock', ['/tmp/switchyard-build.lock', process.execPath, path.join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
    cwd: ROOT,
    stdio: 'pipe',
    timeout: 300_000,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
  });
  return RENDERER_DIR;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
