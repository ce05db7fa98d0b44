/**
 * The Content-Security-Policy of the app's pages, one policy for the desktop window and the served UI: scripts
 * only from the runtime itself (the built renderer has no inline script), connections only to itself and the
 * given WebSocket sources, no plugins, no framing. Styles allow 'unsafe-inline' because echarts and React's style
 * attributes set inline styles; user SVGs are sanitized before they are shown (renderer diagram/).
 */
export function appContentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    ["connect-src 'self'", ...connectSources].join(' '),
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "media-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
  ].join('; ');
}
