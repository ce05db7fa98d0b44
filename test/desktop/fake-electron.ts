/** A stand-in for the `electron` module: records what the main process asks of it. */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

export const calls: string[] = [];

class FakeWebContents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  reloads = 0;
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.openHandler = h;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  webContents = new FakeWebContents();
  loaded: string | null = null;
  shown = false;
  focused = false;
  hidden = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
  }
  loadURL(url: string) {
    this.loaded = url;
    return Promise.resolve();
  }
  reload() {
    this.webContents.reloads++;
  }
  show() {
    this.shown = true;
    this.hidden = false;
  }
  hide() {
    this.hidden = true;
  }
  focus() {
    this.focused = true;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  isMaximized() {
    return false;
  }
  maximize() {}
  getBounds() {
    return { x: 10, y: 20, width: 1500, height: 900 };
  }
}

class FakeApp extends EventEmitter {
  lock = true;
  isPackaged = false;
  private ready = Promise.resolve();
  requestSingleInstanceLock() {
    return this.lock;
  }
  whenReady() {
    return this.ready;
  }
  quit = vi.fn(() => calls.push('app.quit'));
  exit = vi.fn((code: number) => calls.push(`app.exit(${code})`));
}

export const app = new FakeApp();
export const headerHandlers: ((d: { url: string; responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void)[] = [];
export const permissionHandlers: ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void)[] = [];
export const permissionChecks: (() => boolean)[] = [];
export const ipcHandlers = new Map<string, (e: unknown, ...args: unknown[]) => unknown>();
export const dialogAnswer = { response: 1 };

export function electronModule() {
  return {
    app,
    BrowserWindow: FakeBrowserWindow,
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (h: (typeof headerHandlers)[number]) => headerHandlers.push(h) },
        setPermissionRequestHandler: (h: (typeof permissionHandlers)[number]) => permissionHandlers.push(h),
        setPermissionCheckHandler: (h: () => boolean) => permissionChecks.push(h),
      },
    },
    ipcMain: { handle: (channel: string, fn: (e: unknown, ...args: unknown[]) => unknown) => ipcHandlers.set(channel, fn) },
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: vi.fn() },
    Tray: class {
      tooltip = '';
      setToolTip(t: string) {
        this.tooltip = t;
      }
      setImage() {}
      on() {}
      setContextMenu() {}
      destroy() {}
    },
    nativeImage: { createFromPath: (p: string) => ({ path: p }) },
    dialog: { showMessageBox: vi.fn(async () => dialogAnswer), showErrorBox: vi.fn() },
    shell: { openExternal: vi.fn(async () => undefined), openPath: vi.fn(async () => '') },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
  };
}
