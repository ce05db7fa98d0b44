import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  monitoring: boolean;
  isDev: boolean;
  toggleMonitoring(on: boolean): void;
  openDataDir(): void;
  quit(): void;
}

/** Native menus; the roles give each item the platform's usual keyboard shortcut. */
export function menuTemplate(a: MenuActions): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload', accelerator: 'CmdOrCtrl+R' },
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen', accelerator: 'F11' },
  ];
  if (a.isDev) view.push({ type: 'separator' }, { role: 'toggleDevTools' });
  return [
    {
      label: 'Switchyard',
      submenu: [
        {
          label: 'Monitoring mode (keep running when the window closes)',
          type: 'checkbox',
          checked: a.monitoring,
          click: (item) => a.toggleMonitoring(Boolean(item.checked)),
        },
        { label: 'Open data folder', click: () => a.openDataDir() },
        { type: 'separator' },
        { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => a.quit() },
      ],
    },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: 'View', submenu: view },
    { label: 'Window', submenu: [{ role: 'minimize' }, { role: 'close' }] },
  ];
}
