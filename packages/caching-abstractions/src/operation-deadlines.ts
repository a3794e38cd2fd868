/** An operation that fails if it has not settled by its deadline. */
interface Pending {
  deadline: number;
  expire(): void;
}

/**
 * One watchdog timer for all in-flight operations, instead of a timer (or an AbortSignal.timeout) per
 * operation: at tens of thousands of operations a second those cost more than the Redis call they guard.
 * An operation expires between its deadline and one check interval after it. Used by cache providers and
 * by the session middleware to bound I/O.
 */
export class OperationDeadlines {
  readonly #pending = new Set<Pending>();
  readonly #intervalMs: number;
  readonly timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.#intervalMs = Math.max(10, Math.min(250, Math.floor(timeoutMs / 5)));
  }

  /** Starts watching; returns the function that stops watching (call it when the operation settles). */
  watch(expire: () => void): () => void {
    const entry: Pending = { deadline: Date.now() + this.timeoutMs, expire };
    this.#pending.add(entry);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#check(), this.#intervalMs);
      this.#timer.unref();
    }
    return () => {
      this.#pending.delete(entry);
    };
  }

  #check(): void {
    const now = Date.now();
    for (const entry of this.#pending) {
      if (entry.deadline <= now) {
        this.#pending.delete(entry);
        entry.expire();
      }
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
