/**
 * End-to-end support: Debian's Chromium through playwright-core, and the renderer built once (under a lock)
 * when out/renderer is missing or older than its sources. With CI=true a missing Chromium fails the suite.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, login, ROOT, serve, type Served } from '../../support/process';

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

export interface E2eServer {
  server: Served;
  browser: Browser;
  page: Page;
  /** errors thrown in the page (a test that wants none checks this is empty) */
  pageErrors: string[];
  /** the administrator's API headers */
  headers: Record<string, string>;
  stop(): Promise<void>;
}

/** A real server (demo plant or empty) with the built renderer, and Chromium on it; stop() ends both. */
export async function startE2e(seed: '--demo' | '--empty', password: string, viewport = { width: 1366, height: 768 }): Promise<E2eServer> {
  const renderer = ensureRenderer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-e2e-'));
  const server = await serve(['--port', String(await freePort()), '--data-dir', dataDir, seed, '--renderer-dir', renderer], { SWITCHYARD_ADMIN_PASSWORD: password });
  const stopServer = async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await stopServer();
    throw e;
  }
  const page = await browser.newPage({ viewport });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const { headers } = await login(server.url, 'administrator', password);
  return {
    server,
    browser,
    page,
    pageErrors,
    headers,
    async stop() {
      await browser.close();
      await stopServer();
    },
  };
}

/** Logs the administrator in through the login screen. */
export async function loginInBrowser(page: Page, password: string): Promise<void> {
  await page.getByLabel('User name or e-mail').fill('administrator');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Screens' }).waitFor();
}
