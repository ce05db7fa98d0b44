import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Runtime } from '../../src/core/runtime';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule());

const fake = await import('./fake-electron');
const { startDesktop, IPC } = await import('../../src/main/app');
const { contentSecurityPolicy } = await import('../../src/main/security');

const flush = () => new Promise((r) => setTimeout(r, 20));

function fakeRuntime(): Runtime {
  return {
    context: null,
    start: vi.fn(async () => {
      fake.calls.push('runtime.start');
      return { url: 'http://127.0.0.1:43210' };
    }),
    stop: vi.fn(async () => {
      fake.calls.push('runtime.stop:begin');
      await new Promise((r) => setTimeout(r, 30));
      fake.calls.push('runtime.stop:end');
    }),
    status: () => ({ dataSourcesOnline: 2, dataSourcesOffline: 1, unacknowledgedAlarms: 3, highestAlarmPriority: 'HIGH' }),
  };
}

describe('desktop main process (against a stand-in electron)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-desktop-'));
  const runtime = fakeRuntime();
  let desktop: ReturnType<typeof startDesktop>;
  let win: InstanceType<typeof fake.FakeBrowserWindow>;

  beforeAll(async () => {
    desktop = startDesktop({ dataDir, rendererDir: '/r', preload: '/p/index.cjs', iconDir: '/i', isDev: false, createRuntime: () => runtime });
    await flush();
    win = fake.FakeBrowserWindow.instances[0];
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts the runtime and opens one sandboxed, isolated window on its origin', () => {
    expect(desktop).not.toBeNull();
    expect(fake.calls[0]).toBe('runtime.start');
    expect(fake.FakeBrowserWindow.instances).toHaveLength(1);
    expect(win.loaded).toBe('http://127.0.0.1:43210/');
    expect(win.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, preload: '/p/index.cjs' });
  });

  it('puts a strict CSP on the app origin only', () => {
    const handler = fake.headerHandlers[0];
    let headers: Record<string, string[]> = {};
    handler({ url: 'http://127.0.0.1:43210/index.html', responseHeaders: {} }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy'][0]).toBe(contentSecurityPolicy('http://127.0.0.1:43210'));
    expect(headers['Content-Security-Policy'][0]).toContain("default-src 'self'");
    expect(headers['Content-Security-Policy'][0]).toContain('connect-src \'self\' ws://127.0.0.1:43210');
    expect(headers['Content-Security-Policy'][0]).toContain("object-src 'none'");
    handler({ url: 'https://example.com/', responseHeaders: {} }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']).toBeUndefined();
  });

  it('denies every permission request and check', () => {
    let granted: boolean | null = null;
    fake.permissionHandlers[0](null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(fake.permissionChecks[0]()).toBe(false);
  });

  it('keeps navigation on the app origin and opens external links only after confirmation', async () => {
    const wc = win.webContents;
    const inApp = { preventDefault: vi.fn() };
    wc.emit('will-navigate', inApp, 'http://127.0.0.1:43210/#/trends');
    expect(inApp.preventDefault).not.toHaveBeenCalled();
    const away = { preventDefault: vi.fn() };
    fake.dialogAnswer.response = 1; // cancel
    wc.emit('will-navigate', away, 'https://example.com/');
    expect(away.preventDefault).toHaveBeenCalled();
    await flush();
    const { shell, dialog } = await import('electron');
    expect(dialog.showMessageBox).toHaveBeenCalled();
    expect(shell.openExternal).not.toHaveBeenCalled();
    fake.dialogAnswer.response = 0; // open
    expect(wc.openHandler!({ url: 'https://example.com/doc' })).toEqual({ action: 'deny' });
    await flush();
    expect(shell.openExternal).toHaveBeenCalledWith('https://example.com/doc');
    expect(wc.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    const attach = { preventDefault: vi.fn() };
    wc.emit('will-attach-webview', attach);
    expect(attach.preventDefault).toHaveBeenCalled();
  });

  it('keeps the session in the main process for the preload bridge', async () => {
    const set = fake.ipcHandlers.get(IPC.setSession)!;
    const get = fake.ipcHandlers.get(IPC.getSession)!;
    await set(null, { user_uuid: 'u', token: 't', name: 'op' });
    expect(await get(null)).toMatchObject({ user_uuid: 'u', token: 't' });
    await set(null, { token: 'missing uuid' });
    expect(await get(null)).toBeNull();
    await set(null, { user_uuid: 'u', token: 't' });
    await fake.ipcHandlers.get(IPC.clearSession)!(null);
    expect(await get(null)).toBeNull();
  });

  it('reloads the window when the renderer crashes, without touching the runtime', () => {
    win.webContents.emit('render-process-gone', {}, { reason: 'crashed' });
    expect(win.webContents.reloads).toBe(1);
    expect(runtime.stop).not.toHaveBeenCalled();
  });

  it('focuses the existing window when a second instance starts', () => {
    win.hide();
    fake.app.emit('second-instance');
    expect(win.shown).toBe(true);
    expect(win.focused).toBe(true);
  });

  it('in monitoring mode, closing the window hides it and the runtime keeps running', async () => {
    // monitoring is switched on through the first menu's checkbox
    const { Menu } = await import('electron');
    const menus = (Menu.setApplicationMenu as unknown as { mock: { calls: unknown[][] } }).mock.calls;
    const template = menus.at(-1)![0] as { submenu: { click?: (i: { checked: boolean }) => void; type?: string }[] }[];
    template[0].submenu.find((i) => i.type === 'checkbox')!.click!({ checked: true });
    const close = { preventDefault: vi.fn() };
    win.emit('close', close);
    expect(close.preventDefault).toHaveBeenCalled();
    expect(win.hidden).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'desktop.json'), 'utf8'))).toMatchObject({ monitoring: true, bounds: { width: 1500 } });
    expect(runtime.stop).not.toHaveBeenCalled();
  });

  it('on quit, stops the runtime completely before the process exits', async () => {
    const event = { preventDefault: vi.fn() };
    fake.app.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    await desktop!.quit();
    const order = fake.calls.filter((c) => c.startsWith('runtime.stop') || c.startsWith('app.exit'));
    expect(order).toEqual(['runtime.stop:begin', 'runtime.stop:end', 'app.exit(0)']);
  });

  it('a second launch without the single-instance lock quits at once', () => {
    fake.app.lock = false;
    const second = startDesktop({ dataDir, rendererDir: '/r', preload: '/p', iconDir: '/i', isDev: false, createRuntime: () => runtime });
    expect(second).toBeNull();
    expect(fake.app.quit).toHaveBeenCalled();
    fake.app.lock = true;
  });
});
