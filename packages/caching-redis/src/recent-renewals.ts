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
  readonly #dueAt = new Map<string, number>();
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
    const dueAt = this.#dueAt.get(key);
    if (dueAt === undefined) return false;
    if (this.#now() < dueAt) return true;
    this.#dueAt.delete(key);
    return false;
  }

  /** `key`'s TTL was just set from a sliding window of `slidingMs` (undefined or <= 0: not sliding). */
  renewed(key: string, slidingMs: number | undefined): void {
    const skipMs = slidingMs === undefined || !(slidingMs > 0) ? 0 : slidingMs * this.#skipFraction;
    // A window too short to skip anything in (tests, tiny TTLs), or none: renewed on every read.
    if (skipMs < 1) {
      this.#dueAt.delete(key);
      return;
    }
    // Updated in place when present (a delete and re-insert on every write costs a Map rehash now and
    // then); so "oldest" below means first renewed, which only matters past maxKeys.
    if (this.#dueAt.size >= this.#maxKeys && !this.#dueAt.has(key)) {
      const oldest = this.#dueAt.keys().next().value;
      if (oldest !== undefined) this.#dueAt.delete(oldest);
    }
    this.#dueAt.set(key, this.#now() + skipMs);
  }

  /** The entry was removed, or written without a sliding window: its next read renews. */
  forget(key: string): void {
    this.#dueAt.delete(key);
  }

  get size(): number {
    return this.#dueAt.size;
  }
}
