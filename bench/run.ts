/**
 * Runs every benchmark under bench/ (files named *.bench.ts exporting run()) and prints their figures.
 * `npm run bench` runs all; `npm run bench -- historian live` runs the ones whose names match. Options for the
 * benchmarks themselves (`--minutes 5`, `--no-history`) are left to them (they read process.argv), not taken as names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const filters = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--') && !args[i - 1].includes('=') && /^[\d.]+$/.test(a)));
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

let failed = 0;
for (const f of files) {
  process.stdout.write(`\n== ${f.replace('.bench.ts', '')} ==\n`);
  const started = Date.now();
  try {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { run: () => Promise<void> };
    await mod.run();
    process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  } catch (e) {
    failed++;
    process.stdout.write(`FAILED: ${(e as Error).stack ?? e}\n`);
  }
}
process.exit(failed ? 1 : 0);
