import { type Duration, parseDuration } from '@sharedstate/caching-abstractions';
import { SessionUsageError } from './session-errors.ts';

/**
 * The entry in which a session remembered with rememberFor() keeps its lifetime, inside the stored session:
 * every instance, and every later save, must know it, and the cache does not hand back an entry's expiry.
 * Hidden from keys() and get(); an ASP.NET Core app sharing the session sees one more string value.
 */
export const LIFETIME_KEY = '.sharedstate.lifetime';

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); a longer one would end sooner than the data. */
const MAX_LIFETIME_MS = 400 * 86_400_000;

/** A rememberFor() argument in whole seconds (a cookie's Max-Age is in seconds), as milliseconds. */
export function parseLifetime(value: Duration): number {
  let ms: number;
  try {
    ms = parseDuration(value, 'rememberFor()');
  } catch (error) {
    throw new SessionUsageError((error as Error).message);
  }
  if (ms < 1000 || ms > MAX_LIFETIME_MS) {
    throw new SessionUsageError(
      `rememberFor() takes a lifetime from one second to 400 days (browsers cap a cookie's lifetime at 400 days); got ${String(value)}.`,
    );
  }
  return Math.floor(ms / 1000) * 1000;
}

/** The stored form: whole seconds as ASCII digits, readable with GetString from ASP.NET Core too. */
export function encodeLifetime(ms: number): Uint8Array {
  return Buffer.from(String(ms / 1000), 'latin1');
}

/** The lifetime a stored session carries, or undefined when it carries none or something unreadable. */
export function decodeLifetime(stored: Uint8Array | undefined): number | undefined {
  if (stored === undefined || stored.length === 0 || stored.length > 8) return undefined;
  let seconds = 0;
  for (const byte of stored) {
    if (byte < 0x30 || byte > 0x39) return undefined;
    seconds = seconds * 10 + (byte - 0x30);
  }
  const ms = seconds * 1000;
  return ms >= 1000 && ms <= MAX_LIFETIME_MS ? ms : undefined;
}
