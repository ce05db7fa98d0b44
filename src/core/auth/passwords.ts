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

/**
 * No stored password is longer than the policy allows, so a longer one is wrong without hashing it: scrypt's
 * cost grows with the input, and login is unauthenticated. (The HTTP body limit bounds it further.)
 */
export const MAX_PASSWORD_BYTES = 1024;

/** Checks a password against its stored hash off the event loop (crypto.scrypt runs on the libuv pool). */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parts = (stored ?? '').split('$');
  const tooLong = typeof password !== 'string' || password.length > MAX_PASSWORD_BYTES || Buffer.byteLength(password) > MAX_PASSWORD_BYTES;
  if (tooLong || parts.length !== 6 || parts[0] !== 'scrypt') {
    // spend the same time on unknown users (and on over-long passwords) so timing tells nothing apart
    await scryptAsync(tooLong ? '' : password, Buffer.alloc(16), 32, PARAMS);
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

/** The password policy (docs/api.md): at least 10 characters, at most 128, not a well-known password, not the user's name. */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 128;

/**
 * Passwords every cracking list starts with (and their obvious variants), compared without case, separators
 * and trailing digits/punctuation: "Password-123!", "administrator2024", "Qwerty12345".
 */
const COMMON = new Set(
  (
    'password passw0rd p@ssword p@ssw0rd administrator admin root letmein welcome qwerty qwertyuiop asdfghjkl ' +
    'zxcvbnm abc iloveyou monkey dragon football baseball sunshine princess master shadow superman trustno ' +
    'changeme default secret login guest test user switchyard myems scada hmi ' +
    'abcdefghij abcdefghijk qazwsxedc'
  ).split(' '),
);

const stem = (s: string) => s.toLowerCase().replace(/[\s_.-]/g, '').replace(/[0-9!@#$%^&*?]+$/, '').replace(/^[0-9!@#$%^&*?]+/, '');

export function checkPasswordPolicy(password: unknown, userName?: string): string | null {
  if (typeof password !== 'string') return 'password must be a string';
  if (password.length < MIN_PASSWORD_LENGTH) return `password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  const s = stem(password);
  if (s.length < 4 || COMMON.has(s) || /^(.)\1+$/.test(s) || /^(?:0123456789|1234567890|9876543210)+/.test(password)) return 'password is too common or too simple; choose a longer phrase';
  if (userName && password.toLowerCase() === userName.toLowerCase()) return 'password must not be the user name';
  return null;
}
