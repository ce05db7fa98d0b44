/**
 * The only bridge between the sandboxed renderer and the desktop: the API base URL (the page's own origin)
 * and the operator's session kept in the main process, so that a reload keeps the login. Nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron';

const IPC = { getSession: 'switchyard:get-session', setSession: 'switchyard:set-session', clearSession: 'switchyard:clear-session' } as const;

contextBridge.exposeInMainWorld('switchyard', {
  apiBase: `${window.location.origin}/api`,
  getSession: () => ipcRenderer.invoke(IPC.getSession),
  setSession: (s: unknown) => ipcRenderer.invoke(IPC.setSession, s),
  clearSession: () => ipcRenderer.invoke(IPC.clearSession),
});
