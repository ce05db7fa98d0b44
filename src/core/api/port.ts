import net from 'node:net';

/** The error a busy or forbidden listening address gives, before the runtime touches the data directory. */
export class PortUnavailableError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly code: string,
  ) {
    super(code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port} (${code})`);
    this.name = 'PortUnavailableError';
  }
}

/**
 * Binds host:port once and releases it: the runtime checks the address before it seeds a fresh store, so a busy
 * port fails before the generated administrator password is shown (a password shown for a server that never ran).
 */
export function assertPortAvailable(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => reject(new PortUnavailableError(host, port, e.code ?? 'error')));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
