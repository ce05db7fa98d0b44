/**
 * The one place that decides what a secret is and hides it: the audit log, the server's log lines and the
 * API's answers (write-only connection secrets) all use these functions.
 */

export const REDACTED = '[redacted]';

/**
 * A key names a secret when, without separators and case, it ends in password, passwd, pwd, pass, secret,
 * token, apikey, privatekey, credential(s) or authorization: "password", "new_password", "client_secret",
 * "webhookSecret", "access_token", "API-Key". "password_expiration_datetime" or "token_hint" are not secrets.
 */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_\s.]/g, '');
  return /(password|passwd|pwd|pass|secret|token|apikey|privatekey|credentials?|authorization|cookie)$/.test(k);
}

// bounded quantifiers throughout: the redaction runs on whole request bodies (SVG sources) and must stay linear
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{0,30}:\/\/)([^\s/@:"']{1,256}):([^\s/@"']{1,256})@/gi;
const KEY_VALUE = /(password|passwd|pwd|secret|token|api[-_]?key|private[-_]?key|credentials?|authorization)(["']?)(\s{0,8}[:=]\s{0,8})("(?:[^"\\]|\\.){0,4096}"|'[^']{0,4096}'|[^\s&,;}"']{1,4096})/gi;

/** Hides secrets in free text: `password=...`, `"token":"..."`, `mqtt://user:pass@host`. */
export function redactText(s: string): string {
  if (!/pass|pwd|secret|token|key|credential|authorization|:\/\//i.test(s)) return s;
  return s.replace(URL_USERINFO, `$1$2:${REDACTED}@`).replace(KEY_VALUE, (_all, key: string, q: string, sep: string, value: string) => {
    const quoted = value.startsWith('"') ? `"${REDACTED}"` : value.startsWith("'") ? `'${REDACTED}'` : REDACTED;
    return `${key}${q}${sep}${quoted}`;
  });
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === '';

/**
 * A copy of v with every secret hidden: values under secret keys (at any depth), JSON held in strings (a
 * data source's `connection`), credentials in URLs. Depth and size are bounded so that a hostile body
 * cannot make the redaction itself expensive.
 */
export function redact(v: unknown, depth = 0): unknown {
  if (depth > 32) return '[too deep]';
  if (typeof v === 'string') {
    const t = v.trim();
    if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
      try {
        const parsed: unknown = JSON.parse(t);
        const hidden = redact(parsed, depth + 1);
        return JSON.stringify(hidden) === JSON.stringify(parsed) ? v : JSON.stringify(hidden);
      } catch {
        /* not JSON: treat as text */
      }
    }
    return redactText(v);
  }
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out[k] = isSecretKey(k) && !isEmpty(x) && typeof x !== 'boolean' ? REDACTED : redact(x, depth + 1);
    }
    return out;
  }
  return v;
}

/** What the API answers in place of a stored secret: write-only, shown only as set. */
export const SECRET_SET = Object.freeze({ set: true });

const isPlaceholder = (v: unknown) =>
  v === REDACTED || (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && (v as { set?: unknown }).set === true);

/** A JSON value with every non-empty secret replaced by {"set":true} (at any depth). */
export function maskSecrets(v: unknown, depth = 0): unknown {
  if (depth > 32 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => maskSecrets(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = isSecretKey(k) && !isEmpty(x) && typeof x !== 'boolean' ? { ...SECRET_SET } : maskSecrets(x, depth + 1);
  return out;
}

/**
 * Input for a write-only-secret JSON field: where the client sent back the placeholder ({"set":true} or
 * "[redacted]"), the stored secret stays; where nothing is stored, the key is dropped.
 */
export function restoreSecrets(input: unknown, stored: unknown, depth = 0): unknown {
  if (depth > 32 || input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const old = stored && typeof stored === 'object' && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(input as Record<string, unknown>)) {
    if (isSecretKey(k) && isPlaceholder(x)) {
      if (old[k] !== undefined && !isPlaceholder(old[k])) out[k] = old[k];
      continue;
    }
    out[k] = restoreSecrets(x, old[k], depth + 1);
  }
  return out;
}
