/** One factory run that every concurrent caller of its key shares. */
interface Flight<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  callers: number;
}

/**
 * Stampede protection: concurrent callers of one key share one run. A caller that aborts stops waiting
 * (its promise rejects with its signal's reason) while the others go on; when every caller has left, the
 * run's own signal aborts. A run's failure reaches every caller still waiting.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();

  run(key: string, signal: AbortSignal | undefined, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let flight = this.#flights.get(key);
    if (flight === undefined) {
      const controller = new AbortController();
      let started: Promise<T>;
      try {
        started = start(controller.signal);
      } catch (error) {
        started = Promise.reject(error);
      }
      const settle = () => {
        if (this.#flights.get(key) === created) this.#flights.delete(key);
      };
      const created: Flight<T> = {
        controller,
        callers: 0,
        promise: started.then(
          (value) => {
            settle();
            return value;
          },
          (error: unknown) => {
            settle();
            throw error;
          },
        ),
      };
      // A run nobody waits for any more must not be an unhandled rejection.
      created.promise.catch(() => {});
      this.#flights.set(key, created);
      flight = created;
    }
    const joined = flight;
    joined.callers++;
    if (signal === undefined) {
      // Nobody can leave without a signal: the count only matters to callers with one.
      return joined.promise;
    }
    return new Promise<T>((resolve, reject) => {
      let waiting = true;
      const leave = () => {
        signal.removeEventListener('abort', onAbort);
        joined.callers--;
      };
      const onAbort = () => {
        if (!waiting) return;
        waiting = false;
        leave();
        reject(signal.reason);
        if (joined.callers === 0) {
          // Nobody waits: stop the run, and let the next caller start afresh.
          if (this.#flights.get(key) === joined) this.#flights.delete(key);
          joined.controller.abort(signal.reason);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      joined.promise.then(
        (value) => {
          if (!waiting) return;
          waiting = false;
          leave();
          resolve(value);
        },
        (error: unknown) => {
          if (!waiting) return;
          waiting = false;
          leave();
          reject(error);
        },
      );
    });
  }
}
