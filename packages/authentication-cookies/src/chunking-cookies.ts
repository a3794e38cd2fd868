import { formatHttpDate } from './http-date.ts';

export type SameSite = 'lax' | 'strict' | 'none' | 'unspecified';

/** A response cookie's attributes, as ASP.NET Core's CookieOptions holds them. */
export interface CookieAttributes {
  path: string | undefined;
  domain: string | undefined;
  expires: Date | undefined;
  maxAgeSeconds: number | undefined;
  secure: boolean;
  sameSite: SameSite;
  httpOnly: boolean;
}

/** ChunkingCookieManager's default: Safari's limit of 4093 characters, less room for attributes. */
export const DEFAULT_CHUNK_SIZE = 4050;
const CHUNK_COUNT_PREFIX = 'chunks-';
const CHUNK_SUFFIX = 'C';
/** The least data a chunk must hold (its name's `C12` included), or chunking is refused. */
const MIN_CHUNK_DATA = 10;
/** Room left in each chunk for its name's `C` and number. */
const CHUNK_ID_BUDGET = 3;
const EPOCH = new Date(0);

/**
 * A Set-Cookie header value laid out as ASP.NET Core's SetCookieHeaderValue writes one (lower-case
 * attributes in its order), so chunk sizes, which count the whole header, come out as they do there.
 */
export function setCookieHeader(name: string, value: string, attributes: CookieAttributes): string {
  let header = `${name}=${value}`;
  if (attributes.expires !== undefined) header += `; expires=${formatHttpDate(attributes.expires)}`;
  if (attributes.maxAgeSeconds !== undefined) header += `; max-age=${attributes.maxAgeSeconds}`;
  if (attributes.domain !== undefined) header += `; domain=${attributes.domain}`;
  if (attributes.path !== undefined) header += `; path=${attributes.path}`;
  if (attributes.secure) header += '; secure';
  if (attributes.sameSite !== 'unspecified') header += `; samesite=${attributes.sameSite}`;
  if (attributes.httpOnly) header += '; httponly';
  return header;
}

/**
 * The Set-Cookie values for a cookie as ChunkingCookieManager writes it: one cookie when the whole header
 * stays under `chunkSize`, otherwise `<name>=chunks-N` and `<name>C1` … `<name>CN` holding consecutive
 * pieces of the value. `chunkSize` undefined never chunks.
 */
export function chunkedSetCookies(
  name: string,
  value: string,
  attributes: CookieAttributes,
  chunkSize: number | undefined,
): string[] {
  const templateLength = setCookieHeader(name, '', attributes).length;
  if (chunkSize === undefined || chunkSize > templateLength + value.length) {
    return [setCookieHeader(name, value, attributes)];
  }
  if (chunkSize < templateLength + MIN_CHUNK_DATA) {
    throw new RangeError(
      `The cookie '${name}' and its attributes take ${templateLength} of the ${chunkSize} characters chunkSize allows, leaving no room for data: raise chunkSize or shorten the cookie's name, path or domain.`,
    );
  }
  const perChunk = chunkSize - templateLength - CHUNK_ID_BUDGET;
  const count = Math.ceil(value.length / perChunk);
  const headers = [setCookieHeader(name, `${CHUNK_COUNT_PREFIX}${count}`, attributes)];
  for (let chunk = 1; chunk <= count; chunk++) {
    const piece = value.slice((chunk - 1) * perChunk, chunk * perChunk);
    headers.push(setCookieHeader(`${name}${CHUNK_SUFFIX}${chunk}`, piece, attributes));
  }
  return headers;
}

/** The N of a `chunks-N` value (digits only, as .NET parses it), else 0. */
function chunkCount(value: string | undefined): number {
  if (value === undefined || !value.startsWith(CHUNK_COUNT_PREFIX)) return 0;
  const digits = value.slice(CHUNK_COUNT_PREFIX.length);
  if (!/^\d{1,10}$/.test(digits)) return 0;
  const count = Number(digits);
  return count <= 0x7fffffff ? count : 0;
}

/** What reading a request's cookie found. */
export interface RequestCookie {
  /** The value, reassembled from its chunks; the `chunks-N` marker itself when a chunk is missing. */
  value: string;
  /** Chunks it was sent in (0 when not chunked). */
  chunks: number;
  /** A chunk was missing or empty: the browser dropped part of the cookie. */
  partial: boolean;
}

/**
 * A request's cookie as ChunkingCookieManager reads it: a `chunks-N` value is put back together from
 * `<name>C1` … `<name>CN`; with one missing the marker is returned (it unprotects to nothing).
 */
export function readChunkedCookie(
  cookies: Readonly<Record<string, string | undefined>>,
  name: string,
): RequestCookie | undefined {
  const value = cookies[name];
  if (!value) return undefined;
  const count = chunkCount(value);
  if (count === 0) return { value, chunks: 0, partial: false };
  const pieces: string[] = [];
  // A count past the cookies sent cannot be complete (and must not size an array).
  for (let chunk = 1; chunk <= count; chunk++) {
    const piece = cookies[`${name}${CHUNK_SUFFIX}${chunk}`];
    if (!piece) return { value, chunks: count, partial: true };
    pieces.push(piece);
  }
  return { value: pieces.join(''), chunks: count, partial: false };
}

/**
 * The Set-Cookie values that delete a cookie and, when the request sent it chunked, each of its chunks the
 * request carried, expired at the epoch with the same path and domain. (ASP.NET Core writes one deletion per
 * chunk the marker counts; a forged `chunks-2000000000` must not make as many headers.)
 */
export function deletingSetCookies(
  name: string,
  cookies: Readonly<Record<string, string | undefined>>,
  attributes: CookieAttributes,
): string[] {
  const expired: CookieAttributes = { ...attributes, expires: EPOCH, maxAgeSeconds: undefined };
  const headers = [setCookieHeader(name, '', expired)];
  const count = chunkCount(cookies[name]);
  if (count === 0) return headers;
  const prefix = `${name}${CHUNK_SUFFIX}`;
  const sent: number[] = [];
  for (const cookieName in cookies) {
    if (!cookieName.startsWith(prefix)) continue;
    const digits = cookieName.slice(prefix.length);
    if (/^[1-9]\d{0,9}$/.test(digits) && Number(digits) <= count) sent.push(Number(digits));
  }
  for (const chunk of sent.sort((a, b) => a - b))
    headers.push(setCookieHeader(`${prefix}${chunk}`, '', expired));
  return headers;
}
