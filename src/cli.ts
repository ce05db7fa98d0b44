import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, defaultDataDir } from './core/runtime';
import { StoreVersionError } from './core/store/store';
import { resetPasswordOffline, unlockUsers } from './core/auth/recovery';

const USAGE = `usage: switchyard serve [--port 8787] [--host 127.0.0.1] [--data-dir DIR] [--demo | --empty] [--renderer-dir DIR]
       switchyard migrate [--data-dir DIR]
       switchyard unlock [--data-dir DIR] [--user NAME]          (default: every administrator)
       switchyard reset-password [--data-dir DIR] [--user NAME]  (password from SWITCHYARD_NEW_PASSWORD, else generated)`;

export interface CliArgs {
  command: string;
  port: number;
  host: string;
  dataDir: string;
  seed: 'demo' | 'empty' | 'auto';
  rendererDir: string | undefined;
}

export function parseArgs(argv: string[]): CliArgs {
  const [command = 'serve', ...rest] = argv;
  const args: CliArgs = { command, port: 8787, host: '127.0.0.1', dataDir: defaultDataDir(), seed: 'empty', rendererDir: undefined };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
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
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return args;
}

/** out/renderer beside the project, when the renderer has been built */
function builtRenderer(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.resolve(here, '..', 'out', 'renderer');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}

/** `unlock` and `reset-password`: recovery of a locked-out installation from the machine itself. */
export function runRecovery(argv: string[], env: NodeJS.ProcessEnv = process.env): { code: number; out: string } {
  const [command, ...rest] = argv;
  let dataDir = defaultDataDir();
  let user: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const v = rest[i + 1];
    if ((rest[i] === '--data-dir' || rest[i] === '--user') && (v === undefined || v.startsWith('--'))) return { code: 2, out: `${rest[i]} needs a value\n${USAGE}\n` };
    if (rest[i] === '--data-dir') dataDir = path.resolve(rest[++i]);
    else if (rest[i] === '--user') user = rest[++i];
    else return { code: 2, out: `unknown option ${rest[i]}\n${USAGE}\n` };
  }
  try {
    if (command === 'unlock') {
      const r = unlockUsers(dataDir, user);
      return { code: 0, out: `unlocked: ${r.users.join(', ')}\n` };
    }
    const r = resetPasswordOffline(dataDir, { user, password: env.SWITCHYARD_NEW_PASSWORD || undefined });
    return { code: 0, out: `password of ${r.users[0]} reset${r.password ? ` to (shown once): ${r.password}` : ''}; its sessions ended\n` };
  } catch (e) {
    return { code: 1, out: `${(e as Error).message}\n` };
  }
}

async function main(): Promise<void> {
  const first = process.argv[2];
  if (first === 'unlock' || first === 'reset-password') {
    const r = runRecovery(process.argv.slice(2));
    (r.code === 0 ? process.stdout : process.stderr).write(r.out);
    process.exit(r.code);
  }
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.command !== 'serve' && args.command !== 'migrate') {
    process.stderr.write(`unknown command ${args.command}\n${USAGE}\n`);
    process.exit(2);
  }
  const runtime = createRuntime({
    dataDir: args.dataDir,
    host: args.host,
    port: args.command === 'migrate' ? 0 : args.port,
    seed: args.seed,
    rendererDir: args.rendererDir ?? builtRenderer(),
  });
  try {
    const { url } = await runtime.start();
    if (args.command === 'migrate') {
      await runtime.stop();
      process.stdout.write(`store in ${args.dataDir} is up to date\n`);
      return;
    }
    process.stdout.write(`Switchyard listening on ${url} (data: ${args.dataDir})\n`);
  } catch (e) {
    const msg = e instanceof StoreVersionError ? e.message : `cannot start: ${(e as Error).message}`;
    process.stderr.write(`${msg}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
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
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) void main();
