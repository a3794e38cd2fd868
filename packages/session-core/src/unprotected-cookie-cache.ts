/** How many of a cookie value's last characters pick its slot (the tail of a protected value is its MAC). */
const TAIL_LENGTH = 8;

/**
 * A small integer from a cookie value's tail (FNV-1a, folded to 30 bits so that it stays a small integer).
 * A Map hashes a string key on every lookup of a string it has not hashed before, and the browser's cookie
 * is a new string on every request: some 155 characters to hash each time, a visible share of a session
 * read. This reads 8 characters (the tail is the MAC, so it differs between cookies).
 */
export function tailDigest(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, value.length - TAIL_LENGTH); i < value.length; i++) {
    hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  }
  return hash >>> 2;
}

interface Entry {
  readonly cookieValue: string;
  readonly key: string;
  /** The id of the data-protection key the cookie was protected with. */
  readonly protectedWith: string;
  readonly expiresAt: number;
}

/**
 * Remembers, for a short time, which session key a cookie value unprotected to. A browser sends the same
 * cookie on every request; unprotecting it each time (a KDF, an HMAC and an AES decryption) would be most of
 * the middleware's CPU cost. Only successful results are kept, for at most `ttlMs`; when the key ring is
 * reloaded, the entries of keys it revoked or no longer holds are dropped at once (forgetKeysWhere), so a
 * revoked key is refused from the next request on. The number of entries is bounded (oldest dropped first). Times are on the
 * monotonic clock (`performance.now()`), so a wall clock set back cannot stretch that time.
 *
 * Entries are found by a digest of the value's tail and confirmed against the whole value, so a lookup
 * answers only for the exact value that was unprotected. Two values with the same digest share a slot: the
 * later one replaces the earlier, whose next request unprotects its cookie again.
 */
export class UnprotectedCookieCache {
  readonly #entries = new Map<number, Entry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;

  constructor(maxEntries = 10_000, ttlMs = 60_000) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
  }

  get(cookieValue: string, now = performance.now()): string | undefined {
    const slot = tailDigest(cookieValue);
    const entry = this.#entries.get(slot);
    if (entry === undefined || entry.cookieValue !== cookieValue) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(slot);
      return undefined;
    }
    return entry.key;
  }

  set(cookieValue: string, key: string, protectedWith: string, now = performance.now()): void {
    const slot = tailDigest(cookieValue);
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(slot)) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(slot, { cookieValue, key, protectedWith, expiresAt: now + this.#ttlMs });
  }

  /** Forgets every cookie protected with a key the predicate selects (revoked, or gone from the ring). */
  forgetKeysWhere(selected: (keyId: string) => boolean): void {
    for (const [slot, entry] of this.#entries) {
      if (selected(entry.protectedWith)) this.#entries.delete(slot);
    }
  }

  /** Forgets a cookie (its session was destroyed or regenerated). */
  delete(cookieValue: string): void {
    const slot = tailDigest(cookieValue);
    if (this.#entries.get(slot)?.cookieValue === cookieValue) this.#entries.delete(slot);
  }

  get size(): number {
    return this.#entries.size;
  }
}
