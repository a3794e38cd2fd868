import { type DistributedCache, supportsConditionalSet } from '@sharedstate/caching-abstractions';
import { type Duration, parseDuration, refuseUnknownOptions } from '@sharedstate/shared-helpers';
import { SessionConfigurationError } from './session-errors.ts';

/** The `userSessions` option: how the per-user index of signed-in sessions (session.signIn) is kept. */
export interface UserSessionsOptions {
  /**
   * Most signed-in sessions one user keeps; signing in once more ends the ones seen least recently.
   * Default 100.
   */
  maxPerUser?: number;
  /**
   * How often a signed-in session's "last seen" is written to its user's index (a read of a session whose
   * last-seen is older than this also writes the session and the index once). Default '5m'.
   */
  lastSeenInterval?: Duration;
}

export interface ResolvedUserSessionsOptions {
  maxPerUser: number;
  lastSeenIntervalMs: number;
}

const DEFAULT_MAX_PER_USER = 100;
const DEFAULT_LAST_SEEN_MS = 5 * 60_000;

const NAMES: Record<keyof UserSessionsOptions, true> = { maxPerUser: true, lastSeenInterval: true };

/**
 * The option resolved; given explicitly with a cache that has no conditional writes, startup fails here
 * (without it, signIn() says so when called).
 */
export function resolveUserSessionsOptions(
  options: UserSessionsOptions | undefined,
  cache: DistributedCache,
): ResolvedUserSessionsOptions {
  if (options === undefined)
    return { maxPerUser: DEFAULT_MAX_PER_USER, lastSeenIntervalMs: DEFAULT_LAST_SEEN_MS };
  if (typeof options !== 'object' || options === null) {
    throw new SessionConfigurationError(
      'userSessions must be an object such as { maxPerUser: 100, lastSeenInterval: "5m" }.',
    );
  }
  refuseUnknownOptions(SessionConfigurationError, 'session', options, NAMES);
  if (!supportsConditionalSet(cache)) {
    throw new SessionConfigurationError(
      'userSessions needs a cache with conditional writes (setIfUnchanged): MemoryDistributedCache, RedisCache, ' +
        'PostgresCache, SqlServerCache, or a provider that implements ConditionalSet.',
    );
  }
  const maxPerUser = options.maxPerUser ?? DEFAULT_MAX_PER_USER;
  if (!Number.isInteger(maxPerUser) || maxPerUser < 1 || maxPerUser > 1000) {
    throw new SessionConfigurationError(
      `userSessions.maxPerUser must be a whole number from 1 to 1000; got ${String(maxPerUser)}.`,
    );
  }
  const lastSeenIntervalMs =
    options.lastSeenInterval === undefined
      ? DEFAULT_LAST_SEEN_MS
      : parseDuration(options.lastSeenInterval, 'userSessions.lastSeenInterval', SessionConfigurationError);
  if (lastSeenIntervalMs < 1000) {
    throw new SessionConfigurationError(
      `userSessions.lastSeenInterval must be at least one second; got ${String(options.lastSeenInterval)}.`,
    );
  }
  return { maxPerUser, lastSeenIntervalMs };
}
