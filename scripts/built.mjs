#!/usr/bin/env node
// `npm run serve` and `npm run cli`: the built headless entry (out/main/cli.js), built first when out/ is missing or
// older than the sources. The same JavaScript the desktop app runs, without tsx compiling on every start.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt } from './build-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
try {
  ensureBuilt(root, (line) => process.stderr.write(`${line}\n`));
} catch (e) {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(path.join(root, 'out', 'main', 'cli.js')).href);
await main(process.argv.slice(2));
