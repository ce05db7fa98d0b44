/**
 * Once per test run, before any test file: the product is built into out/ (only when out/ is missing or older
 * than the sources), so every server a test starts runs the same built JavaScript that `npm run serve` and the
 * desktop app run, and no test pays for a build of its own.
 */
// @ts-expect-error plain JS module without types
import { ensureBuilt } from '../../scripts/build-lib.mjs';
import { ROOT } from './process';

export default function setup(): void {
  const r = (ensureBuilt as (root: string, say: (line: string) => void) => { built: boolean; ms?: number })(ROOT, (line) => process.stderr.write(`${line}\n`));
  if (r.built) process.stderr.write(`built in ${((r.ms ?? 0) / 1000).toFixed(1)} s\n`);
}
