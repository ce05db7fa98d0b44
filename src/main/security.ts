/**
 * The renderer is untrusted content from the main process's point of view: it may talk to the local API and
 * nothing else, may not navigate away or open windows, gets no permissions, and opens external links only in
 * the system browser after the user confirms.
 */
import type { Session, WebContents } from 'electron';
import { appContentSecurityPolicy } from '../shared/csp';

/** The Content-Security-Policy of the app's pages: only the runtime's own origin and its WebSocket. */
export function contentSecurityPolicy(origin: string): string {
  return appContentSecurityPolicy([origin.replace(/^http/, 'ws')]);
}

export function isAppUrl(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

export const isExternalWebUrl = (url: string): boolean => /^https?:\/\//i.test(url);

/** CSP on every response of the app's origin; every permission request and check refused. */
export function hardenSession(ses: Session, origin: string): void {
  const csp = contentSecurityPolicy(origin);
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    if (isAppUrl(details.url, origin)) headers['Content-Security-Policy'] = [csp];
    callback({ responseHeaders: headers });
  });
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

/**
 * Navigation stays on the app's origin; new windows are refused; an external http(s) link goes to the
 * system browser once `confirmExternal` says yes.
 */
export function guardWebContents(contents: WebContents, origin: string, openExternal: (url: string) => Promise<void>): void {
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url, origin)) return;
    event.preventDefault();
    if (isExternalWebUrl(url)) void openExternal(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, origin)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalWebUrl(url) && !isAppUrl(url, origin)) void openExternal(url);
    return { action: 'deny' };
  });
}
