import type { Logger } from './logger.ts';

const INTERVAL_MS = 60_000;

/**
 * Logs a kind of per-request event (a tampered cookie, a failed cache read) at most once a minute, saying
 * how many like it went unlogged since: the default logger is the console, and an outage or a client sending
 * bad cookies must not write a line per request.
 */
export class LogThrottle {
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  /** Per kind: when it was last logged, and how many were held back since. */
  readonly #kinds = new Map<string, { loggedAt: number; held: number }>();

  constructor(logger: Logger | undefined, now: () => number = () => performance.now()) {
    this.#logger = logger;
    this.#now = now;
  }

  log(level: 'warn' | 'error', kind: string, message: string): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    const now = this.#now();
    const seen = this.#kinds.get(kind);
    if (seen !== undefined && now - seen.loggedAt < INTERVAL_MS) {
      seen.held++;
      return;
    }
    const held = seen?.held ?? 0;
    this.#kinds.set(kind, { loggedAt: now, held: 0 });
    logger[level](held === 0 ? message : `${message} (${held} more like this in the last minute)`);
  }
}
