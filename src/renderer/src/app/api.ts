/**
 * The renderer's only way to the runtime's HTTP API: JSON in the MyEMS dialect (bodies wrapped in
 * {"data":...}), the session's headers on every request, MyEMS error bodies turned into ApiError.
 * Any 401 ends the session: listeners (the shell) go back to the login screen.
 */
import { apiBase, session } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly description: string,
    message: string,
    readonly field?: string,
    readonly errors?: { row?: number; field?: string; message: string }[],
  ) {
    super(message);
  }
}

type Listener = (reason: string) => void;
const unauthorizedListeners = new Set<Listener>();
export function onUnauthorized(l: Listener): () => void {
  unauthorizedListeners.add(l);
  return () => unauthorizedListeners.delete(l);
}

export function authHeaders(): Record<string, string> {
  const s = session();
  return s ? { 'User-UUID': s.user_uuid, Token: s.token } : {};
}

async function request<T>(method: string, path: string, data?: unknown, raw?: { body: BodyInit; contentType: string }): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders() };
  let body: BodyInit | undefined;
  if (raw) {
    body = raw.body;
    headers['Content-Type'] = raw.contentType;
  } else if (data !== undefined) {
    body = JSON.stringify({ data });
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(`${apiBase()}${path}`, { method, headers, body });
  } catch {
    throw new ApiError(0, 'API.UNREACHABLE', 'API.UNREACHABLE', 'the Switchyard runtime cannot be reached');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  if (!res.ok) {
    const e = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
    const err = new ApiError(
      res.status,
      String(e.title ?? `HTTP ${res.status}`),
      String(e.description ?? ''),
      String(e.message ?? e.description ?? res.statusText),
      typeof e.field === 'string' ? e.field : undefined,
      Array.isArray(e.errors) ? (e.errors as ApiError['errors']) : undefined,
    );
    if (res.status === 401 && !path.startsWith('/users/login')) for (const l of unauthorizedListeners) l(err.description === 'API.SESSION_EXPIRED' ? 'Your session has expired.' : 'Please log in again.');
    throw err;
  }
  return json as T;
}

export const api = {
  get: <T = unknown>(path: string) => request<T>('GET', path),
  post: <T = unknown>(path: string, data?: unknown) => request<T>('POST', path, data),
  put: <T = unknown>(path: string, data?: unknown) => request<T>('PUT', path, data),
  del: <T = unknown>(path: string) => request<T>('DELETE', path),
  /** a non-JSON body (a CSV or .xlsx point list) */
  upload: <T = unknown>(path: string, body: BodyInit, contentType: string) => request<T>('POST', path, undefined, { body, contentType }),
};
