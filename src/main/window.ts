import fs from 'node:fs';
import path from 'node:path';
import type { BrowserWindowConstructorOptions, Rectangle } from 'electron';

export interface DesktopSettings {
  bounds?: Rectangle;
  maximized?: boolean;
  /** keep the runtime (acquisition, alarms) running when the window is closed */
  monitoring?: boolean;
}

export const SETTINGS_FILE = 'desktop.json';

export function loadDesktopSettings(dataDir: string): DesktopSettings {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dataDir, SETTINGS_FILE), 'utf8')) as DesktopSettings;
    return s && typeof s === 'object' ? s : {};
  } catch {
    return {};
  }
}

export function saveDesktopSettings(dataDir: string, settings: DesktopSettings): void {
  const file = path.join(dataDir, SETTINGS_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(settings, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

/** Remembered bounds are used only when they still overlap a display (a monitor may have been unplugged). */
export function usableBounds(bounds: Rectangle | undefined, displays: Rectangle[]): Rectangle | undefined {
  if (!bounds || bounds.width < 400 || bounds.height < 300) return undefined;
  const visible = displays.some((d) => bounds.x < d.x + d.width - 50 && bounds.x + bounds.width > d.x + 50 && bounds.y < d.y + d.height - 50 && bounds.y + bounds.height > d.y);
  return visible ? bounds : undefined;
}

/** The one window: the renderer sandboxed, isolated from Node, with only the preload's bridge. */
export function windowOptions(preload: string, bounds: Rectangle | undefined, icon?: string): BrowserWindowConstructorOptions {
  return {
    ...(bounds ?? { width: 1600, height: 900 }),
    minWidth: 1024,
    minHeight: 640,
    show: false,
    backgroundColor: '#d4d4d4',
    title: 'Switchyard',
    icon,
    autoHideMenuBar: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: true,
    },
  };
}
