import type { DataProtector } from '@sharedstate/dataprotection-abstractions';
import { bytesToGuid } from '@sharedstate/shared-helpers';
import { decodeCookieValue } from './cookie-header.ts';

/** The purpose ASP.NET Core's session middleware protects its cookie with (after the application name). */
export const SESSION_PURPOSE = 'SessionMiddleware';

export const SESSION_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64 = /^[A-Za-z0-9+/]+$/;
/** A protected session key is about 180 characters; anything much longer is not ours. */
const MAX_COOKIE_VALUE = 1024;

/**
 * The cookie value for a session key: standard base64 (not base64url) of the protected UTF-8 key, '='
 * padding removed (FORMATS §6.3). The Set-Cookie writer percent-encodes '+' and '/'. Synchronous (the key
 * ring must be loaded), so it can run while response headers are being written.
 */
export function protectSessionKey(protector: DataProtector, sessionKey: string): string {
  return cookieValueOf(protector.protectSync(Buffer.from(sessionKey, 'utf8')));
}

/** A protected session key as a cookie value: standard base64, '=' padding removed. */
export function cookieValueOf(payload: Uint8Array): string {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
    .toString('base64')
    .replace(/=+$/, '');
}

/**
 * The session key in a cookie value (as sent, percent-encoded, or already decoded), or undefined for anything
 * that is not a valid protected key.
 */
export async function unprotectSessionKey(
  protector: DataProtector,
  sent: string,
): Promise<string | undefined> {
  const value = decodeCookieValue(sent);
  if (value.length === 0 || value.length > MAX_COOKIE_VALUE || !BASE64.test(value) || value.length % 4 === 1)
    return undefined;
  const padded = value + '='.repeat((4 - (value.length % 4)) % 4);
  const plaintext = await protector.unprotect(Buffer.from(padded, 'base64'));
  const key = Buffer.from(plaintext).toString('utf8');
  return SESSION_KEY.test(key) ? key : undefined;
}

/**
 * The id of the key a valid cookie value was protected with: the payload's bytes 4 to 20 (FORMATS §1.1),
 * after the magic header.
 */
export function protectingKeyId(sent: string): string {
  return bytesToGuid(Buffer.from(decodeCookieValue(sent), 'base64').subarray(4, 20));
}
