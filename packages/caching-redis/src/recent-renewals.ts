/** When a key's next read must renew it again, and the Redis key it was renewed under. */
interface Renewal {
  dueAt: number;
  redisKey: string;
}

/**
 * Which sliding entries this client renewed moments ago, so that reading one again at once does not renew
 * it again. Renewing is a write (PEXPIRE inside the get script: about three times a plain read's cost to
 * Redis, replicated and appended to the AOF); a browser's burst of requests would otherwise renew the same
 * session's TTL many times a second. An entry counts as fresh for `skipFraction` of its sliding window after
 * a renewal, so its expiry is exact to within that fraction of the window.
 *
 * On the monotonic clock by default, not the wall clock: a wall clock set back must not stretch the skip
 * window. The number of keys is bounded; the key tracked longest is forgotten first (its next read renews,
 * as without this).
 */
export class RecentRenewals {
  readonly #renewals = new Map<string, Renewal>();
  readonly #skipFraction: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(skipFraction: number, now: () => number = () => performance.now(), maxKeys = 10_000) {
    this.#skipFraction = skipFraction;
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  /** True while a read of `key` needs no renewal: this client renewed it within the skip window. */
  isFresh(key: string): boolean {
    return this.freshRedisKey(key) !== undefined;
  }

  /**
   * While a read of `key` needs no renewal, the Redis key noted with its renewal (otherwise undefined). The
   * caller reads with that string rather than joining its prefix and the key again: a joined string is new
   * on every read, and the client flattens it and measures it as UTF-8 before sending it.
   */
  freshRedisKey(key: string): string | undefined {
    const renewal = this.#renewals.get(key);
    if (renewal === undefined) return undefined;
    if (this.#now() < renewal.dueAt) return renewal.redisKey;
    this.#renewals.delete(key);
    return undefined;
  }

  /**
   * `key`'s TTL was just set, under `redisKey`, from a sliding window of `slidingMs` (undefined or <= 0: not
   * sliding).
   */
  renewed(key: string, slidingMs: number | undefined, redisKey: string = key): void {
    const skipMs = slidingMs === undefined || !(slidingMs > 0) ? 0 : slidingMs * this.#skipFraction;
    // A window too short to skip anything in (tests, tiny TTLs), or none: renewed on every read.
    if (skipMs < 1) {
      this.#renewals.delete(key);
      return;
    }
    const dueAt = this.#now() + skipMs;
    // Updated in place when present (a delete and re-insert on every write costs a Map rehash now and
    // then); so "oldest" below means first renewed, which only matters past maxKeys.
    const renewal = this.#renewals.get(key);
    if (renewal !== undefined) {
      renewal.dueAt = dueAt;
      renewal.redisKey = redisKey;
      return;
    }
    if (this.#renewals.size >= this.#maxKeys) {
      const oldest = this.#renewals.keys().next().value;
      if (oldest !== undefined) this.#renewals.delete(oldest);
    }
    this.#renewals.set(key, { dueAt, redisKey });
  }

  /** The entry was removed, or written without a sliding window: its next read renews. */
  forget(key: string): void {
    this.#renewals.delete(key);
  }

  get size(): number {
    return this.#renewals.size;
  }
}
