import type { CacheEntryOptions } from './cache-entry-options.ts';
import { CacheError } from './cache-errors.ts';
import { cacheKeyTag } from './cache-key-tag.ts';
import type { CacheOperationOptions, DistributedCache } from './distributed-cache.ts';

const encoder = new TextEncoder();
// fatal: a value that is not valid UTF-8 was not written by setString; say so instead of returning U+FFFD.
// ignoreBOM: a string that starts with U+FEFF comes back whole, as ASP.NET Core's GetString returns it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A cached value could not be read back as the type asked for. */
export class CacheValueFormatError extends CacheError {}

/** Reads a UTF-8 string value (as ASP.NET Core's GetString). */
export async function getString(
  cache: DistributedCache,
  key: string,
  options?: CacheOperationOptions,
): Promise<string | undefined> {
  const bytes = await cache.get(key, options);
  if (bytes === undefined) return undefined;
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new CacheValueFormatError(`The value under ${cacheKeyTag(key)} is not valid UTF-8 text.`, {
      cause: error,
    });
  }
}

/** Writes a string as UTF-8 (as ASP.NET Core's SetString). */
export function setString(
  cache: DistributedCache,
  key: string,
  value: string,
  entry?: CacheEntryOptions,
  options?: CacheOperationOptions,
): Promise<void> {
  return cache.set(key, encoder.encode(value), entry, options);
}

/** Reads a JSON value written by setJson. The type parameter is trusted, not checked. */
export async function getJson<T>(
  cache: DistributedCache,
  key: string,
  options?: CacheOperationOptions,
): Promise<T | undefined> {
  const text = await getString(cache, key, options);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new CacheValueFormatError(`The value under ${cacheKeyTag(key)} is not valid JSON.`, {
      cause: error,
    });
  }
}

/** Writes a value as UTF-8 JSON. */
export function setJson<T>(
  cache: DistributedCache,
  key: string,
  value: T,
  entry?: CacheEntryOptions,
  options?: CacheOperationOptions,
): Promise<void> {
  const text = JSON.stringify(value);
  if (text === undefined) {
    return Promise.reject(
      new CacheValueFormatError(`The value for ${cacheKeyTag(key)} cannot be represented as JSON.`),
    );
  }
  return setString(cache, key, text, entry, options);
}
