import { CacheUnavailableError, OperationDeadlines } from '@sharedstate/caching-abstractions';

/**
 * The session's cache calls, each bounded by the ioTimeout option. The call gets no AbortSignal: one shared
 * watchdog is far cheaper per request, and a late answer is simply ignored. A cache that bounds its own calls
 * at least as tightly (RedisCache's operationTimeout) needs no second watchdog: one entry and one promise
 * less on every load and save.
 */
export class BoundedCacheCalls {
  readonly #deadlines: OperationDeadlines | undefined;

  constructor(ioTimeoutMs: number | undefined, cacheBoundMs: number | undefined) {
    this.#deadlines =
      ioTimeoutMs === undefined || (cacheBoundMs !== undefined && cacheBoundMs <= ioTimeoutMs)
        ? undefined
        : new OperationDeadlines(ioTimeoutMs);
  }

  /** Runs `call`, rejecting with CacheUnavailableError if it does not settle within ioTimeout. */
  run<T>(what: string, call: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      // A cache that throws instead of rejecting fails this call (a save fails the request, a load leaves
      // the session unavailable), not the adapter.
      return Promise.reject(error);
    }
    const deadlines = this.#deadlines;
    if (deadlines === undefined) return pending;
    return new Promise<T>((resolve, reject) => {
      const stop = deadlines.watch(() =>
        reject(
          // The store did not answer within the bound: an outage as far as this request can tell.
          new CacheUnavailableError(
            `Timed out after ${deadlines.timeoutMs} ms (ioTimeout) in session ${what}.`,
          ),
        ),
      );
      pending.then(
        (value) => {
          stop();
          resolve(value);
        },
        (error: unknown) => {
          stop();
          reject(error);
        },
      );
    });
  }
}
