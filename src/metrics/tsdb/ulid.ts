/** ULIDs name blocks (as Prometheus does): 48-bit millisecond time + 80 random bits, Crockford base32. */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function ulid(now: number = Date.now()): string {
  let t = Math.max(0, Math.floor(now));
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(16);
  let rest = '';
  for (let i = 0; i < 16; i++) rest += ALPHABET[rnd[i] & 31];
  return time + rest;
}

export const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
