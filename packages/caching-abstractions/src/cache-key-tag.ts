import { createHash } from 'node:crypto';

/**
 * How errors and log lines name a cache key: `key #` and the first 8 hex digits of the key's SHA-256, never
 * the key itself, which may be a secret (a session key, a token). Call it on a key of your own to find the
 * entry an error names.
 */
export function cacheKeyTag(key: string): string {
  return `key #${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}
