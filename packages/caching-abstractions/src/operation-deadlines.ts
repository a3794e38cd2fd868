/** An operation that fails if it has not settled by its deadline: a node in the watchdog's list. */
interface Pending {
  deadline: number;
  expire: (() => void) | undefined;
  previous: Pending | undefined;
  next: Pending | undefined;
}

/**
 * One watchdog timer for all in-flight operations, instead of a timer (or an AbortSignal.timeout) per
 * operation: at tens of thousands of operations a second those cost more than the Redis call they guard.
 * An operation expires between its deadline and one check interval after it. Used by cache providers and
 * by the session middleware to bound I/O.
 *
 * In-flight operations are kept in an intrusive doubly linked list rather than a Set: a long-lived Set
 * that short-lived entries pass through makes V8's young-generation collections keep (and promote) whole
 * request object graphs, which under HTTP load costs more than the rest of the middleware.
 */
export class OperationDeadlines {
  /** Oldest first: every operation gets the same timeout on a monotonic clock, so deadlines are in order. */
  #head: Pending | undefined;
  #tail: Pending | undefined;
  readonly #intervalMs: number;
  readonly timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.#intervalMs = Math.max(10, Math.min(250, Math.floor(timeoutMs / 5)));
  }

  /** Starts watching; returns the function that stops watching (call it when the operation settles). */
  watch(expire: () => void): () => void {
    const entry: Pending = {
      deadline: performance.now() + this.timeoutMs,
      expire,
      previous: this.#tail,
      next: undefined,
    };
    if (this.#tail === undefined) this.#head = entry;
    else this.#tail.next = entry;
    this.#tail = entry;
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#check(), this.#intervalMs);
      this.#timer.unref();
    }
    return () => this.#unlink(entry);
  }

  #unlink(entry: Pending): void {
    if (entry.expire === undefined) return;
    entry.expire = undefined;
    const { previous, next } = entry;
    if (previous === undefined) this.#head = next;
    else previous.next = next;
    if (next === undefined) this.#tail = previous;
    else next.previous = previous;
    entry.previous = undefined;
    entry.next = undefined;
  }

  #check(): void {
    const now = performance.now();
    while (this.#head !== undefined && this.#head.deadline <= now) {
      const entry = this.#head;
      const expire = entry.expire!;
      this.#unlink(entry);
      expire();
    }
    if (this.#head === undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
