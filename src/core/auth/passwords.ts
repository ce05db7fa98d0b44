import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** scrypt$N$r$p$salt$hash (base64) */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parts = (stored ?? '').split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    // spend the same time on unknown users so timing does not tell names apart
    await scryptAsync(password, Buffer.alloc(16), 32, PARAMS);
    return false;
  }
  const [, n, r, p, salt, hash] = parts;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: +n, r: +r, p: +p, maxmem: PARAMS.maxmem });
  return timingSafeEqual(actual, expected);
}

/** For writes inside a store transaction (user create/update), which cannot await. */
export function hashPasswordSync(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A random secret (session token, API key): 32 bytes as hex. Stored only as its SHA-256. */
export const newSecret = () => randomBytes(32).toString('hex');
export const secretHash = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function checkPasswordPolicy(password: unknown): string | null {
  if (typeof password !== 'string') return 'password must be a string';
  if (password.length < 6) return 'password must have at least 6 characters';
  if (password.length > 100) return 'password must have at most 100 characters';
  return null;
}
