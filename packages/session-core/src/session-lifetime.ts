import { type Duration, parseDuration } from '@sharedstate/shared-helpers';
import { SessionUsageError } from './session-errors.ts';

/**
 * The entry in which a session remembered with rememberFor() keeps its lifetime, inside the stored session:
 * every instance, and every later save, must know it, and the cache does not hand back an entry's expiry.
 * Hidden from keys() and get(); an ASP.NET Core app sharing the session sees one more string value.
 */
export const LIFETIME_KEY = '.sharedstate.lifetime';

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); a longer one would end sooner than the data. */
export const MAX_LIFETIME_MS = 400 * 86_400_000;

/** A rememberFor() argument in whole seconds (a cookie's Max-Age is in seconds), as milliseconds. */
export function parseLifetime(value: Duration): number {
  const ms = parseDuration(value, 'rememberFor()', SessionUsageError);
  if (ms < 1000 || ms > MAX_LIFETIME_MS) {
    throw new SessionUsageError(
      `rememberFor() takes a lifetime from one second to 400 days (browsers cap a cookie's lifetime at 400 days); got ${String(value)}.`,
    );
  }
  return Math.floor(ms / 1000) * 1000;
}

/** A remembered session's lifetime, and when its cookie was last sent with it. */
export interface StoredLifetime {
  lifetimeMs: number;
  /** Epoch milliseconds (whole seconds); undefined when the stored value does not say. */
  cookieSentAtMs: number | undefined;
}

/**
 * The stored form, readable with GetString from ASP.NET Core too: the lifetime in whole seconds, a colon, and
 * when the cookie was sent (epoch seconds).
 */
export function encodeLifetime(lifetimeMs: number, cookieSentAtMs: number): Uint8Array {
  return Buffer.from(`${lifetimeMs / 1000}:${Math.floor(cookieSentAtMs / 1000)}`, 'latin1');
}

const STORED = /^(\d{1,8})(?::(\d{1,12}))?$/;

/** The lifetime a stored session carries, or undefined when it carries none or something unreadable. */
export function decodeLifetime(stored: Uint8Array | undefined): StoredLifetime | undefined {
  if (stored === undefined || stored.length > 24) return undefined;
  const match = STORED.exec(Buffer.from(stored).toString('latin1'));
  if (match === null) return undefined;
  const lifetimeMs = Number(match[1]) * 1000;
  if (lifetimeMs < 1000 || lifetimeMs > MAX_LIFETIME_MS) return undefined;
  const cookieSentAtMs = match[2] === undefined ? undefined : Number(match[2]) * 1000;
  return { lifetimeMs, cookieSentAtMs };
}

/**
 * Whether a remembered session's cookie should be sent again, with its full lifetime: once more than half of
 * it has passed, as ASP.NET Core's cookie authentication slides its expiration. A user who comes back within
 * each half stays signed in; one who stays away longer than the lifetime signs in again.
 */
export function cookieRenewalDue(stored: StoredLifetime, nowMs: number): boolean {
  return stored.cookieSentAtMs !== undefined && nowMs - stored.cookieSentAtMs > stored.lifetimeMs / 2;
}
