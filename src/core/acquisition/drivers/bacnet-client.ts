/**
 * The @bacnet-js/client class, loaded the same way under every loader. The package is CommonJS with
 * `exports.default = Client`: vitest's interop unwraps that for `import BACnet from`, but Node's own ESM loader
 * (tsx, `npm run serve`, the built bundle) hands over the whole `exports` object, so `new BACnet()` threw
 * "BACnet is not a constructor" outside the tests. require() gives the same `exports` everywhere.
 */
import { createRequire } from 'node:module';
import type Client from '@bacnet-js/client';

const loaded = createRequire(import.meta.url)('@bacnet-js/client') as { default: typeof Client };

export const BACnetClient: typeof Client = loaded.default;
export type BACnetClient = Client;
