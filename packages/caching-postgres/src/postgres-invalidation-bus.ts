import {
  CacheArgumentError,
  type InvalidationBus,
  type InvalidationBusHandlers,
} from '@sharedstate/caching-abstractions';
import { listenToPostgresChannel, refuseUnknownOptions } from '@sharedstate/shared-helpers';
import type { Pool } from 'pg';

export interface PostgresInvalidationBusOptions {
  /** The app's node-postgres pool (its settings make the listening connection; NOTIFY goes through it). */
  pool: Pool;
  /** The LISTEN/NOTIFY channel: a plain identifier. Default 'sharedstate_hybrid_cache'. */
  channel?: string;
}

const OPTION_NAMES = { pool: true, channel: true } as const;
/** PostgreSQL's limit on a NOTIFY payload is 8000 bytes; HybridCache's messages stay under this. */
export const POSTGRES_NOTIFY_LIMIT = 7_900;

/**
 * HybridCache's invalidation bus on PostgreSQL's LISTEN/NOTIFY: `pg_notify` through the app's pool, and one
 * listening connection of its own, made with the pool's settings outside the pool, remade a second after a
 * loss (the cache then hears that it may have missed messages and clears its local copies), never keeping
 * the process alive.
 */
export class PostgresInvalidationBus implements InvalidationBus {
  readonly #pool: Pool;
  readonly #channel: string;

  constructor(options: PostgresInvalidationBusOptions) {
    if (options === null || typeof options !== 'object') {
      throw new CacheArgumentError('PostgresInvalidationBus needs options: { pool }.');
    }
    refuseUnknownOptions(CacheArgumentError, 'PostgresInvalidationBus', options, OPTION_NAMES);
    const { pool, channel = 'sharedstate_hybrid_cache' } = options;
    if (typeof pool?.query !== 'function') {
      throw new CacheArgumentError(
        'PostgresInvalidationBus needs `pool`: a node-postgres Pool (new Pool({ connectionString })).',
      );
    }
    if (typeof channel !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
      throw new CacheArgumentError(
        `PostgresInvalidationBus \`channel\` must be a lower-case identifier of letters, digits and underscores (at most 63); got ${JSON.stringify(channel)}.`,
      );
    }
    this.#pool = pool;
    this.#channel = channel;
  }

  /** The most a message may hold (PostgreSQL refuses longer NOTIFY payloads). */
  get messageLimit(): number {
    return POSTGRES_NOTIFY_LIMIT;
  }

  async publish(message: string): Promise<void> {
    if (Buffer.byteLength(message, 'utf8') > POSTGRES_NOTIFY_LIMIT) {
      throw new CacheArgumentError(
        `A bus message of more than ${POSTGRES_NOTIFY_LIMIT} bytes cannot go through NOTIFY.`,
      );
    }
    await this.#pool.query('SELECT pg_notify($1, $2)', [this.#channel, message]);
  }

  async subscribe(handlers: InvalidationBusHandlers): Promise<() => Promise<void>> {
    const stop = listenToPostgresChannel(this.#pool, this.#channel, handlers);
    return async () => stop();
  }
}
