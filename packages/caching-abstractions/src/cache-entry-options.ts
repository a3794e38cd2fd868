import { type Duration, parseDuration } from '@sharedstate/shared-helpers';
import { CacheArgumentError } from './cache-errors.ts';

/** How long an entry lives. With none of these set, the entry lives until removed or evicted. */
export interface CacheEntryOptions {
  /** A fixed point in time at which the entry expires. Must be in the future. */
  absoluteExpiration?: Date;
  /** Expire this long after the write. Wins over `absoluteExpiration` when both are set (as in ASP.NET Core). */
  absoluteExpirationRelativeToNow?: Duration;
  /** Expire after this long without a read or refresh; never beyond the absolute expiration. */
  slidingExpiration?: Duration;
}

/** Entry options reduced to numbers, validated: what a provider stores. */
export interface ResolvedEntryOptions {
  /** Epoch milliseconds of the absolute expiration, if any. */
  absoluteExpiresAt?: number;
  /** Sliding window in milliseconds, if any. */
  slidingMs?: number;
}

/**
 * Validates entry options and turns them into absolute epoch milliseconds and a sliding window,
 * using `now` as the write time. Throws CacheArgumentError naming the offending option.
 */
export function resolveEntryOptions(
  options: CacheEntryOptions | undefined,
  now: number,
): ResolvedEntryOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new CacheArgumentError('Cache entry options must be an object or undefined.');
  }
  const resolved: ResolvedEntryOptions = {};
  const { absoluteExpiration, absoluteExpirationRelativeToNow, slidingExpiration } = options;
  if (absoluteExpiration !== undefined) {
    if (!(absoluteExpiration instanceof Date) || Number.isNaN(absoluteExpiration.getTime())) {
      throw new CacheArgumentError('absoluteExpiration must be a valid Date.');
    }
    if (absoluteExpiration.getTime() <= now) {
      throw new CacheArgumentError(
        `absoluteExpiration must be in the future; got ${absoluteExpiration.toISOString()}, now is ${new Date(now).toISOString()}.`,
      );
    }
    resolved.absoluteExpiresAt = absoluteExpiration.getTime();
  }
  if (absoluteExpirationRelativeToNow !== undefined) {
    resolved.absoluteExpiresAt =
      now +
      parseDuration(absoluteExpirationRelativeToNow, 'absoluteExpirationRelativeToNow', CacheArgumentError);
  }
  if (slidingExpiration !== undefined) {
    resolved.slidingMs = parseDuration(slidingExpiration, 'slidingExpiration', CacheArgumentError);
  }
  return resolved;
}

/**
 * When an entry written or last touched at `touchedAt` expires: the sliding window from the last touch,
 * capped by the absolute expiration. `undefined` means never.
 */
export function expiresAtAfterTouch(options: ResolvedEntryOptions, touchedAt: number): number | undefined {
  const sliding = options.slidingMs === undefined ? undefined : touchedAt + options.slidingMs;
  if (sliding === undefined) return options.absoluteExpiresAt;
  if (options.absoluteExpiresAt === undefined) return sliding;
  return Math.min(sliding, options.absoluteExpiresAt);
}
