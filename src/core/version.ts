import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let version = '0.0.0';
for (const candidate of ['../../package.json', '../package.json', './package.json']) {
  try {
    version = (require(candidate) as { version: string }).version;
    break;
  } catch {
    /* the bundled desktop app has package.json elsewhere */
  }
}
export const VERSION = version;
