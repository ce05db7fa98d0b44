/**
 * File names of uploads. The name a client sends is only a label: it is cleaned for display and storage, and
 * never used as a path. Restoring a file to disk uses diskName(), which keeps only safe characters and a
 * bounded length, inside the data directory.
 */

/** The longest stored file name, in characters. */
export const MAX_FILE_NAME_CHARS = 255;
/** The longest name part of a restored file on disk, in bytes (file systems allow 255 bytes per name). */
const MAX_DISK_NAME_BYTES = 120;

/** Percent-decodes where the encoding is valid; a broken escape is kept as it was sent. */
export function decodePercent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/**
 * The file name of a Content-Disposition header (of a request or of one multipart part): RFC 5987/6266
 * `filename*=charset'lang'percent-encoded` is preferred, else `filename="..."` or a bare token.
 */
export function dispositionFileName(header: string): string | null {
  const star = /filename\*\s*=\s*"?([^";\r\n]*)"?/i.exec(header);
  if (star) {
    const m = /^([\w!#$%&+^`{}~-]*)'[^']*'(.*)$/.exec(star[1].trim());
    const value = m ? m[2] : star[1].trim();
    const charset = m?.[1]?.toLowerCase() ?? 'utf-8';
    const decoded = charset === 'iso-8859-1' || charset === 'latin1' ? latin1Percent(value) : decodePercent(value);
    if (decoded) return decoded;
  }
  const quoted = /filename\s*=\s*"((?:[^"\\\r\n]|\\.)*)"/i.exec(header);
  if (quoted) return quoted[1].replace(/\\(.)/g, '$1');
  const bare = /filename\s*=\s*([^";\r\n\s]+)/i.exec(header);
  return bare ? bare[1] : null;
}

function latin1Percent(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * A name fit to show and store: the last path segment, without control characters, slashes, or
 * leading/trailing dots and spaces, at most MAX_FILE_NAME_CHARS characters. Null when nothing is left.
 */
export function cleanFileName(raw: string): string | null {
  const last = raw.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = last.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '_').replace(/^[\s.]+|[\s.]+$/g, '');
  if (!cleaned) return null;
  return [...cleaned].slice(0, MAX_FILE_NAME_CHARS).join('');
}

/** The name a restored copy gets on disk: `<id>-<safe name>`, ASCII letters, digits, dot, dash and underscore. */
export function diskName(id: number, fileName: string): string {
  const safe = fileName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'file';
  const dot = safe.lastIndexOf('.');
  const ext = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : '';
  const stem = (ext ? safe.slice(0, dot) : safe).slice(0, MAX_DISK_NAME_BYTES - ext.length);
  return `${id}-${stem}${ext}`;
}
