/**
 * The desktop shell: one window on the runtime's renderer, a tray, menus, the session bridge, and an orderly
 * shutdown. The runtime is the same composition root `serve` uses; nothing here touches devices or SQLite.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, screen, session, shell, Tray } from 'electron';
import type { Runtime, RuntimeOptions } from '../core/runtime';
import { RotatingLog } from './logs';
import { menuTemplate } from './menu';
import { guardWebContents, hardenSession } from './security';
import { trayState, trayTooltip } from './tray';
import { loadDesktopSettings, saveDesktopSettings, usableBounds, windowOptions, type DesktopSettings } from './window';

export interface DesktopOptions {
  dataDir: string;
  rendererDir: string;
  preload: string;
  iconDir: string;
  isDev: boolean;
  createRuntime: (opts: RuntimeOptions) => Runtime;
}

export interface RendererSession {
  user_uuid: string;
  token: string;
  [k: string]: unknown;
}

export const IPC = { getSession: 'switchyard:get-session', setSession: 'switchyard:set-session', clearSession: 'switchyard:clear-session' } as const;

export interface Desktop {
  window(): BrowserWindow | null;
  runtime: Runtime;
  quit(): Promise<void>;
}

/** Call once; returns null when another instance runs (that one is focused instead). */
export function startDesktop(opts: DesktopOptions): Desktop | null {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  const log = new RotatingLog(path.join(opts.dataDir, 'logs', 'switchyard.log'));
  const say = (line: string) => {
    log.write(line);
    if (opts.isDev) process.stdout.write(`${line}\n`);
  };
  const runtime = opts.createRuntime({ dataDir: opts.dataDir, port: 0, seed: 'auto', rendererDir: opts.rendererDir, log: say });
  const settings: DesktopSettings = loadDesktopSettings(opts.dataDir);
  let win: BrowserWindow | null = null;
  let tray: Tray | null = null;
  let trayTimer: NodeJS.Timeout | null = null;
  let origin = '';
  let quitting = false;
  let stopped: Promise<void> | null = null;
  // the session lives in the main process: a renderer reload or crash keeps the operator logged in
  let rendererSession: RendererSession | null = null;

  const icon = (name: string) => nativeImage.createFromPath(path.join(opts.iconDir, name));

  const openExternal = async (url: string) => {
    const answer = await dialog.showMessageBox({
      type: 'question',
      buttons: ['Open in browser', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: 'Open this link in your web browser?',
      detail: url,
    });
    if (answer.response === 0) await shell.openExternal(url);
  };

  const remember = () => {
    if (!win) return;
    settings.maximized = win.isMaximized();
    if (!settings.maximized) settings.bounds = win.getBounds();
    saveDesktopSettings(opts.dataDir, settings);
  };

  const createWindow = () => {
    const bounds = usableBounds(settings.bounds, screen.getAllDisplays().map((d) => d.workArea));
    win = new BrowserWindow(windowOptions(opts.preload, bounds, path.join(opts.iconDir, 'icon.png')));
    guardWebContents(win.webContents, origin, openExternal);
    win.webContents.on('render-process-gone', (_e, details) => {
      say(`renderer gone (${details.reason}); reloading the window, acquisition keeps running`);
      if (details.reason !== 'clean-exit') win?.reload();
    });
    win.once('ready-to-show', () => {
      if (settings.maximized) win?.maximize();
      win?.show();
    });
    win.on('close', (event) => {
      remember();
      if (settings.monitoring && !quitting) {
        event.preventDefault();
        win?.hide();
      }
    });
    win.on('closed', () => {
      win = null;
    });
    void win.loadURL(`${origin}/`);
  };

  const showWindow = () => {
    if (!win) createWindow();
    else {
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
    }
  };

  const quit = async () => {
    if (stopped) return stopped;
    quitting = true;
    stopped = (async () => {
      if (trayTimer) clearInterval(trayTimer);
      remember();
      say('stopping the runtime');
      try {
        await runtime.stop();
      } catch (e) {
        say(`stopping the runtime failed: ${(e as Error).message}`);
      }
      tray?.destroy();
      app.exit(0);
    })();
    return stopped;
  };

  const buildMenu = () => {
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate({
          monitoring: Boolean(settings.monitoring),
          isDev: opts.isDev,
          toggleMonitoring: (on) => {
            settings.monitoring = on;
            saveDesktopSettings(opts.dataDir, settings);
            buildMenu();
          },
          openDataDir: () => void shell.openPath(opts.dataDir),
          quit: () => void quit(),
        }),
      ),
    );
  };

  ipcMain.handle(IPC.getSession, () => rendererSession);
  ipcMain.handle(IPC.setSession, (_e, s: unknown) => {
    const v = s as RendererSession | null;
    rendererSession = v && typeof v.user_uuid === 'string' && typeof v.token === 'string' ? v : null;
  });
  ipcMain.handle(IPC.clearSession, () => {
    rendererSession = null;
  });

  app.on('second-instance', () => showWindow());
  app.on('window-all-closed', () => {
    if (!settings.monitoring) void quit();
  });
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void quit();
  });
  app.on('activate', () => showWindow());

  void app.whenReady().then(async () => {
    try {
      const { url } = await runtime.start();
      origin = new URL(url).origin;
      say(`runtime listening on ${origin} (data: ${opts.dataDir})`);
    } catch (e) {
      say(`the runtime could not start: ${(e as Error).message}`);
      dialog.showErrorBox('Switchyard could not start', (e as Error).message);
      app.exit(1);
      return;
    }
    hardenSession(session.defaultSession, origin);
    app.on('web-contents-created', (_e, contents) => guardWebContents(contents, origin, openExternal));
    buildMenu();
    createWindow();
    tray = new Tray(icon('tray.png'));
    tray.setToolTip('Switchyard');
    tray.on('click', () => showWindow());
    tray.setContextMenu(Menu.buildFromTemplate([{ label: 'Show Switchyard', click: () => showWindow() }, { type: 'separator' }, { label: 'Quit', click: () => void quit() }]));
    let lastState = '';
    const updateTray = () => {
      const status = runtime.status();
      tray?.setToolTip(trayTooltip(status));
      const state = trayState(status);
      if (state !== lastState) {
        lastState = state;
        tray?.setImage(icon(state === 'attention' ? 'tray-attention.png' : 'tray.png'));
      }
    };
    updateTray();
    trayTimer = setInterval(updateTray, 2000);
  });

  return { window: () => win, runtime, quit };
}
