/**
 * The operator's session: kept by the desktop's main process when the preload provides `window.switchyard`
 * (a reload keeps the login), else in sessionStorage (a browser tab against `npm run serve`).
 */
export interface Session {
  user_uuid: string;
  token: string;
  name: string;
  display_name?: string;
  is_admin: boolean;
  is_read_only: boolean;
  token_expires_at?: string;
}

interface DesktopBridge {
  apiBase: string;
  getSession(): Promise<Session | null>;
  setSession(s: Session): Promise<void>;
  clearSession(): Promise<void>;
}

declare global {
  interface Window {
    switchyard?: DesktopBridge;
  }
}

const KEY = 'switchyard.session';
let current: Session | null = null;

export function apiBase(): string {
  return window.switchyard?.apiBase ?? `${window.location.origin}/api`;
}

export async function loadSession(): Promise<Session | null> {
  if (window.switchyard) current = await window.switchyard.getSession();
  else {
    try {
      current = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    } catch {
      current = null;
    }
  }
  return current;
}

export function session(): Session | null {
  return current;
}

export async function saveSession(s: Session): Promise<void> {
  current = s;
  if (window.switchyard) await window.switchyard.setSession(s);
  else sessionStorage.setItem(KEY, JSON.stringify(s));
}

export async function clearSession(): Promise<void> {
  current = null;
  if (window.switchyard) await window.switchyard.clearSession();
  else sessionStorage.removeItem(KEY);
}

/**
 * What the logged-in user may do, from the login's answer (the server refuses the rest anyway; the screens
 * do not offer it): an administrator configures and operates, an operator operates (commands, alarm
 * acknowledgement and shelving, opting out of demand response), a read-only user only looks.
 */
export function canConfigure(s: Session | null = current): boolean {
  return Boolean(s?.is_admin);
}

export function canOperate(s: Session | null = current): boolean {
  return Boolean(s && (s.is_admin || !s.is_read_only));
}
