import { createRequire } from 'node:module';

// not named `require`: the bundler declares its own `require` shim in the chunk this lands in
const requireFile = createRequire(import.meta.url);
let version = '0.0.0';
for (const candidate of ['../../package.json', '../package.json', './package.json']) {
  try {
    version = (requireFile(candidate) as { version: string }).version;
    break;
  } catch {
    /* the bundled desktop app has package.json elsewhere */
  }
}
export const VERSION = version;

/** The day this version was released (update together with package.json's version). */
export const RELEASE_DATE = '2026-12-02';

/**
 * GET /api/version in MyEMS's shape (its core/version.py): `version`, `release-date`, `licensed-to`, `website`.
 * Switchyard has one edition, so every installation is licensed to the community, as MyEMS's open edition says;
 * the website is this installation's own address.
 */
export function myemsVersion(origin: string): Record<string, string> {
  return { version: `Switchyard v${VERSION}`, 'release-date': RELEASE_DATE, 'licensed-to': 'COMMUNITY', website: origin };
}
