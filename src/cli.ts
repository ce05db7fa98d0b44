import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, defaultDataDir } from './core/runtime';
import { StoreVersionError } from './core/store/store';

const USAGE = `usage: switchyard serve [--port 8787] [--host 127.0.0.1] [--data-dir DIR] [--demo | --empty] [--renderer-dir DIR]
       switchyard migrate [--data-dir DIR]`;

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

async function main(): Promise<void> {
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
