/**
 * End-to-end support: Debian's Chromium through playwright-core, and a real server (`npm run serve`'s built
 * JavaScript in a child process) serving the built renderer. A missing Chromium fails the suite.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
// @ts-expect-error plain JS module without types
import { ensureBuilt } from '../../../scripts/build-lib.mjs';
import { peerAvailable } from '../../peers/peers';
import { freePort, login, ROOT, serve, type Served } from '../../support/process';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const RENDERER_DIR = path.join(ROOT, 'out', 'renderer');
export const ARTIFACTS_DIR = path.join(ROOT, 'artifacts');

/** True; throws, naming the apt line to run, when Chromium is missing (an e2e suite never skips silently). */
export function haveChromium(): boolean {
  return peerAvailable(`${CHROMIUM} (apt: chromium)`, () => fs.existsSync(CHROMIUM));
}

/** The built renderer; out/ is rebuilt (once, under a lock) when it is missing or older than the sources. */
export function ensureRenderer(): string {
  (ensureBuilt as (root: string) => unknown)(ROOT);
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
export async function startE2e(seed: '--demo' | '--empty', password: string, viewport = { width: 1366, height: 768 }, extraArgs: string[] = []): Promise<E2eServer> {
  const renderer = ensureRenderer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-e2e-'));
  const server = await serve(['--port', String(await freePort()), '--data-dir', dataDir, seed, '--renderer-dir', renderer, ...extraArgs], { SWITCHYARD_ADMIN_PASSWORD: password });
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
