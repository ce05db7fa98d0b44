import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PortUnavailableError } from './core/api/port';
import { createRuntime, defaultDataDir, migrateStore } from './core/runtime';
import { StoreVersionError } from './core/store/store';
import { resolveListenSecurity, type ListenSecurity, type TlsFiles } from './core/api/tls';
import { resetPasswordOffline, unlockUsers } from './core/auth/recovery';
import { migrateCentralDatabase, redactUrl } from './core/central/pg';

const USAGE = `usage: switchyard serve [--port 8787] [--host 127.0.0.1] [--data-dir DIR] [--demo | --empty] [--renderer-dir DIR]
                       [--tls-cert FILE --tls-key FILE | --insecure] [--allowed-host NAME]...
                       [--database postgres://USER@HOST:PORT/DB [--database-partition day|week]]
       switchyard migrate [--data-dir DIR] [--database postgres://...]
       switchyard unlock [--data-dir DIR] [--database URL] [--user NAME]          (default: every administrator)
       switchyard reset-password [--data-dir DIR] [--database URL] [--user NAME]  (password from SWITCHYARD_NEW_PASSWORD, else generated)
       switchyard --help`;

export const HELP = `${USAGE}

serve           runs the runtime and its API (and the screens at / when the renderer is built)
migrate         upgrades an existing store in place to this version's schema and exits (nothing else starts)
unlock          unlocks locked-out users of a stopped installation
reset-password  sets a new password for a user of a stopped installation

  --data-dir DIR     where the store (switchyard.db) and its files live
                     (default ${defaultDataDir()})
  --port N           the HTTP port (default 8787; 0 picks a free one)
  --host ADDR        the address to listen on (default 127.0.0.1, this machine only)
  --demo             seed the demo plant on a fresh data directory and start its simulated devices
  --empty            a fresh data directory gets only the defaults (the default for serve)
  --auto             the demo on a fresh data directory, else what the store was seeded with (npm start)
  --renderer-dir DIR the built screens to serve (default out/renderer when built)
  --tls-cert FILE, --tls-key FILE  serve HTTPS with this PEM certificate and key (needed beyond loopback)
  --insecure         allow listening beyond loopback without TLS (passwords then cross the network in clear)
  --allowed-host NAME  a further host name clients may use (Host header); also SWITCHYARD_ALLOWED_HOSTS=a,b

  --database URL     keep the whole store on PostgreSQL instead of SQLite: configuration, users, historian,
                     alarms, energy... and the central store (postgres://user@host:port/db; also
                     SWITCHYARD_DATABASE_URL; a password is better given as PGPASSWORD than in the URL);
                     the data directory keeps files and keys (docs/store.md)
  --database-partition day|week  the history's partition width on a new central database (default day)

On a fresh data directory the administrator's password is SWITCHYARD_ADMIN_PASSWORD, or a generated one
printed once and kept in DIR/administrator-password.txt.
npm passes options after --, e.g. npm start -- --data-dir ./plant --port 8788 (the desktop app takes
--data-dir, or SWITCHYARD_DATA_DIR, and picks its own port; --port is for the headless server).`;

export interface CliArgs {
  command: string;
  help: boolean;
  port: number;
  host: string;
  dataDir: string;
  seed: 'demo' | 'empty' | 'auto';
  rendererDir: string | undefined;
  /** the central store on PostgreSQL (--database) */
  database?: { url: string; partition?: 'day' | 'week' };
  /** TLS and who may reach the server (see api/tls.ts, api/origin.ts) */
  security?: ListenSecurity & { allowedHosts: string[] };
}

export function parseArgs(argv: string[]): CliArgs {
  const help = argv.includes('--help') || argv.includes('-h');
  if (help) return { command: 'help', help, port: 8787, host: '127.0.0.1', dataDir: defaultDataDir(), seed: 'empty', rendererDir: undefined };
  const [command = 'serve', ...rest] = argv[0]?.startsWith('--') ? ['serve', ...argv] : argv;
  const security = { allowedHosts: [] as string[] } as NonNullable<CliArgs['security']>;
  const args: CliArgs = { command, help, port: 8787, host: '127.0.0.1', dataDir: defaultDataDir(), seed: 'empty', rendererDir: undefined, security };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (securityFlag(flag, value, security)) continue;
    switch (flag) {
      case '--port': {
        const p = Number(value());
        if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error('--port must be an integer from 0 to 65535');
        args.port = p;
        break;
      }
      case '--host':
        args.host = value();
        break;
      case '--data-dir':
        args.dataDir = path.resolve(value());
        break;
      case '--demo':
        args.seed = 'demo';
        break;
      case '--empty':
        args.seed = 'empty';
        break;
      case '--auto':
        args.seed = 'auto';
        break;
      case '--renderer-dir':
        args.rendererDir = path.resolve(value());
        break;
      case '--database': {
        const url = value();
        if (!/^postgres(ql)?:\/\/\S+$/.test(url)) throw new Error('--database must be a PostgreSQL URL: postgres://user@host:port/database');
        args.database = { ...args.database, url };
        break;
      }
      case '--database-partition': {
        const w = value();
        if (w !== 'day' && w !== 'week') throw new Error('--database-partition must be day or week');
        args.database = { url: args.database?.url ?? '', partition: w };
        break;
      }
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  if (!args.database?.url && process.env.SWITCHYARD_DATABASE_URL) args.database = { ...args.database, url: process.env.SWITCHYARD_DATABASE_URL };
  if (args.database && !args.database.url) throw new Error('--database-partition needs --database');
  return args;
}

/** the built renderer: out/renderer, seen from src/ (tsx) or from out/main (the built cli) */
function builtRenderer(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [path.resolve(here, '..', 'out', 'renderer'), path.resolve(here, '..', 'renderer')]) {
    if (fs.existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/** `unlock` and `reset-password`: recovery of a locked-out installation from the machine itself. */
export function runRecovery(argv: string[], env: NodeJS.ProcessEnv = process.env): { code: number; out: string } {
  const [command, ...rest] = argv;
  let dataDir = defaultDataDir();
  let user: string | undefined;
  let database = env.SWITCHYARD_DATABASE_URL || undefined;
  for (let i = 0; i < rest.length; i++) {
    const v = rest[i + 1];
    if ((rest[i] === '--data-dir' || rest[i] === '--user' || rest[i] === '--database') && (v === undefined || v.startsWith('--'))) return { code: 2, out: `${rest[i]} needs a value\n${USAGE}\n` };
    if (rest[i] === '--data-dir') dataDir = path.resolve(rest[++i]);
    else if (rest[i] === '--database') database = rest[++i];
    else if (rest[i] === '--user') user = rest[++i];
    else return { code: 2, out: `unknown option ${rest[i]}\n${USAGE}\n` };
  }
  try {
    if (command === 'unlock') {
      const r = unlockUsers(dataDir, user, database);
      return { code: 0, out: `unlocked: ${r.users.join(', ')}\n` };
    }
    const r = resetPasswordOffline(dataDir, { user, password: env.SWITCHYARD_NEW_PASSWORD || undefined, database });
    return { code: 0, out: `password of ${r.users[0]} reset${r.password ? ` to (shown once): ${r.password}` : ''}; its sessions ended\n` };
  } catch (e) {
    return { code: 1, out: `${(e as Error).message}\n` };
  }
}

/** One line for a failed start; the stack trace of an expected failure helps no one. */
function startError(e: unknown): string {
  if (e instanceof StoreVersionError) return e.message;
  if (e instanceof PortUnavailableError) return `cannot start: ${e.message}; choose another with --port`;
  return `cannot start: ${(e as Error).message}`;
}

/** The TLS and allowed-host options of `serve`; true when flag was one of them. */
function securityFlag(flag: string, value: () => string, into: NonNullable<CliArgs['security']>): boolean {
  switch (flag) {
    case '--tls-cert':
      into.tlsCert = path.resolve(value());
      return true;
    case '--tls-key':
      into.tlsKey = path.resolve(value());
      return true;
    case '--insecure':
      into.insecure = true;
      return true;
    case '--allowed-host':
      into.allowedHosts.push(value());
      return true;
    default:
      return false;
  }
}

export async function main(argv: string[]): Promise<void> {
  const first = argv[0];
  if ((first === 'unlock' || first === 'reset-password') && !argv.includes('--help')) {
    const r = runRecovery(argv);
    (r.code === 0 ? process.stdout : process.stderr).write(r.out);
    process.exit(r.code);
  }
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (args.command === 'migrate') {
    try {
      migrateStore(args.dataDir, args.database);
      if (args.database) await migrateCentralDatabase(args.database);
    } catch (e) {
      process.stderr.write(`cannot migrate: ${(e as Error).message}\n`);
      process.exit(1);
    }
    process.stdout.write(`store in ${args.dataDir} is up to date${args.database ? `, and the central database ${redactUrl(args.database.url)}` : ''}\n`);
    return;
  }
  if (args.command !== 'serve') {
    process.stderr.write(`unknown command ${args.command}\n${USAGE}\n`);
    process.exit(2);
  }
  let tls: TlsFiles | null;
  try {
    tls = resolveListenSecurity(args.host, args.security ?? {});
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const allowedHosts = [...(args.security?.allowedHosts ?? []), ...(process.env.SWITCHYARD_ALLOWED_HOSTS ?? '').split(',').filter(Boolean)];
  const runtime = createRuntime({ dataDir: args.dataDir, host: args.host, port: args.port, seed: args.seed, rendererDir: args.rendererDir ?? builtRenderer(), allowedHosts, ...(tls ? { tls } : {}), ...(args.database ? { database: args.database } : {}) });
  // the handlers are in place before the URL is printed: a supervisor that stops the server as soon as it is ready
  // must not find Node's default (die at once, nothing flushed); a signal during the start stops it right after
  let ready = false;
  let stopping = false;
  let pending: string | null = null;
  const shutdown = (signal: string) => {
    if (!ready) {
      pending = signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    runtime.stop().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`error while stopping: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  try {
    const { url } = await runtime.start();
    ready = true;
    process.stdout.write(`Switchyard listening on ${url} (data: ${args.dataDir})\n`);
  } catch (e) {
    process.stderr.write(`${startError(e)}\n`);
    process.exit(1);
  }
  if (pending) shutdown(pending);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) void main(process.argv.slice(2));
