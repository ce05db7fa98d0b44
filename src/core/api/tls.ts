import fs from 'node:fs';
import net from 'node:net';

/**
 * Listening beyond loopback. The API carries passwords and session tokens, so a server other machines can
 * reach speaks TLS (`--tls-cert`/`--tls-key`, PEM files) or sits behind a TLS reverse proxy on the same
 * machine (listen on 127.0.0.1 then). Listening beyond loopback in clear text needs `--insecure`.
 */
export interface ListenSecurity {
  tlsCert?: string;
  tlsKey?: string;
  insecure?: boolean;
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Whether an address only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * The TLS files to serve with, or null for plain HTTP; throws a message for the user when the combination is
 * refused (beyond loopback without TLS and without --insecure, one of cert/key missing, unreadable files).
 */
export function resolveListenSecurity(host: string, opts: ListenSecurity, read: (file: string) => Buffer = (f) => fs.readFileSync(f)): TlsFiles | null {
  if (!!opts.tlsCert !== !!opts.tlsKey) throw new Error('--tls-cert and --tls-key go together');
  if (opts.tlsCert && opts.tlsKey) {
    const load = (file: string, what: string) => {
      try {
        return read(file);
      } catch (e) {
        throw new Error(`cannot read the TLS ${what} ${file}: ${(e as Error).message}`, { cause: e });
      }
    };
    return { cert: load(opts.tlsCert, 'certificate'), key: load(opts.tlsKey, 'key') };
  }
  if (!isLoopbackHost(host) && !opts.insecure) {
    throw new Error(
      `refusing to listen on ${host} without TLS: other machines would send passwords and session tokens in clear text. ` +
        'Give --tls-cert FILE --tls-key FILE (PEM), or put a TLS reverse proxy in front and listen on 127.0.0.1, or accept the risk with --insecure',
    );
  }
  return null;
}
