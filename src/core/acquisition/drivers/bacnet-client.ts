/**
 * The @bacnet-js/client class, loaded the same way under every loader. The package is CommonJS with
 * `exports.default = Client`: vitest's interop unwraps that for `import BACnet from`, but Node's own ESM loader
 * (tsx, `npm run serve`, the built bundle) hands over the whole `exports` object, so `new BACnet()` threw
 * "BACnet is not a constructor" outside the tests. require() gives the same `exports` everywhere.
 * Required on first use, not when the runtime loads: the package takes ~250 ms to load and most servers have no
 * BACnet data source.
 */
import { createRequire } from 'node:module';
import type Client from '@bacnet-js/client';

type Lib = typeof import('@bacnet-js/client') & { default: typeof Client };
let loaded: Lib | null = null;

/** The package's exports (the client class as `default`, the enums by name). */
export const bacnetLib = (): Lib => (loaded ??= createRequire(import.meta.url)('@bacnet-js/client') as Lib);
export type BACnetClient = Client;
