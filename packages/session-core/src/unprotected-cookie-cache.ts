/**
 * Remembers, for a short time, which session key a cookie value unprotected to. A browser sends the same
 * cookie on every request; unprotecting it each time (a KDF, an HMAC and an AES decryption) would be most of
 * the middleware's CPU cost. Only successful results are kept, for at most `ttlMs`, so a revoked key stops
 * being accepted within that time; the number of entries is bounded (oldest dropped first).
 */
export class UnprotectedCookieCache {
  readonly #entries = new Map<string, { key: string; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;

  constructor(maxEntries = 10_000, ttlMs = 60_000) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
  }

  get(cookieValue: string, now = Date.now()): string | undefined {
    const entry = this.#entries.get(cookieValue);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(cookieValue);
      return undefined;
    }
    return entry.key;
  }

  set(cookieValue: string, key: string, now = Date.now()): void {
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(cookieValue, { key, expiresAt: now + this.#ttlMs });
  }

  /** Forgets a cookie (its session was destroyed or regenerated). */
  delete(cookieValue: string): void {
    this.#entries.delete(cookieValue);
  }
}
