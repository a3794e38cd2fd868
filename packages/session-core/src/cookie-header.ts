import { type SerializeOptions, serialize } from 'cookie';
import type { ResolvedSessionOptions } from './session-options.ts';

/**
 * Reads one cookie from a Cookie header, still percent-encoded: a returning visitor's cookie is looked up as
 * sent, so a request pays for decoding only when its cookie is unprotected.
 *
 * It scans for the one name instead of parsing the header into an object of every cookie (the `cookie`
 * package's parse): a browser sends all of a site's cookies on every request (analytics, consent, the app's
 * own), and that object was built only to read one of them. It reads the header as that parse does: pairs
 * split at ';', a pair without '=' skipped, name and value trimmed of spaces and tabs, the first pair with
 * the name wins.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const length = header.length;
  let start = 0;
  let equals = -1;
  while (start < length) {
    if (equals < start) {
      equals = header.indexOf('=', start);
      if (equals === -1) return undefined;
    }
    let end = header.indexOf(';', start);
    if (end === -1) end = length;
    if (equals < end) {
      const nameStart = skipBlanks(header, start, equals);
      if (
        trimBlanks(header, nameStart, equals) - nameStart === name.length &&
        header.startsWith(name, nameStart)
      ) {
        const valueStart = skipBlanks(header, equals + 1, end);
        return header.slice(valueStart, trimBlanks(header, valueStart, end));
      }
    }
    start = end + 1;
  }
  return undefined;
}

const isBlank = (code: number) => code === 0x20 || code === 0x09;

/** The first index from `from` (up to `to`) that is not a space or a tab. */
function skipBlanks(text: string, from: number, to: number): number {
  while (from < to && isBlank(text.charCodeAt(from))) from++;
  return from;
}

/** `to`, moved back over the spaces and tabs before it (not past `from`). */
function trimBlanks(text: string, from: number, to: number): number {
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  return to;
}

/** Percent-decodes a cookie value as ASP.NET Core's parser does; a malformed escape is left as it is. */
export function decodeCookieValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The Set-Cookie header value for a session cookie: a browser-session cookie (no Expires, as ASP.NET Core),
 * unless a lifetime (cookie.maxAge, or the session's rememberFor()) makes it persistent (Max-Age, and
 * Expires for clients that only read that).
 */
export function sessionCookieHeader(
  options: ResolvedSessionOptions['cookie'],
  value: string,
  secure: boolean,
  maxAgeMs: number | undefined,
  nowMs: number,
): string {
  const attributes = cookieAttributes(options, secure);
  if (maxAgeMs !== undefined) {
    attributes.maxAge = Math.floor(maxAgeMs / 1000);
    attributes.expires = new Date(nowMs + maxAgeMs);
  }
  return serialize(options.name, value, attributes);
}

/** A Set-Cookie that removes the session cookie (after destroy()); never with a Max-Age, which would win. */
export function expiredCookieHeader(options: ResolvedSessionOptions['cookie'], secure: boolean): string {
  return serialize(options.name, '', { ...cookieAttributes(options, secure), expires: new Date(0) });
}

function cookieAttributes(options: ResolvedSessionOptions['cookie'], secure: boolean): SerializeOptions {
  return {
    path: options.path,
    ...(options.domain ? { domain: options.domain } : {}),
    httpOnly: options.httpOnly,
    sameSite: options.sameSite,
    secure,
    partitioned: options.partitioned,
  };
}
