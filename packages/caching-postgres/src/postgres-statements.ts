import { createHash } from 'node:crypto';
import type { PostgresTable } from './postgres-table.ts';

/** A parameterized statement; `name` makes pg prepare it once per connection. */
export interface PostgresStatement {
  name: string;
  text: string;
}

export interface CacheStatements {
  /** $1 id, $2 now, $3 skip fraction: renews a sliding entry and returns the value, in one statement. */
  get: PostgresStatement;
  /** $1 id, $2 now, $3 skip fraction: the renewal alone. */
  refresh: PostgresStatement;
  /** $1 id, $2 value, $3 expiresattime, $4 sliding seconds, $5 absolute expiration. */
  set: PostgresStatement;
  /** $1 id */
  remove: PostgresStatement;
  /** As `set`, then $6 now, $7 SHA-256 of the value read: writes only over a live entry holding those bytes. */
  setIfValue: PostgresStatement;
  /** As `set`, then $6 now: writes only where there is no live entry (none, or an expired one). */
  setIfAbsent: PostgresStatement;
  /** $1 now, $2 batch size: deletes up to that many expired rows, skipping rows another sweeper holds. */
  deleteExpiredBatch: PostgresStatement;
}

/**
 * The statements over one table. A sliding entry's new expiration is the sliding window from now, capped at
 * the absolute expiration (LEAST over the whole interval; Microsoft's package compares only the seconds
 * field of AGE(), so its cap misfires for expirations a minute or more away). A renewal that would extend
 * the entry by less than the skip fraction of its window is not written: a read then costs no row update.
 */
export function cacheStatements(table: PostgresTable): CacheStatements {
  const t = table.qualified;
  const renewedExpiry =
    "LEAST(absoluteexpiration, $2::timestamptz + slidingexpirationinseconds * interval '1 second')";
  const renewal = `UPDATE ${t} SET expiresattime = ${renewedExpiry}
WHERE id = $1 AND expiresattime >= $2::timestamptz AND slidingexpirationinseconds IS NOT NULL
AND expiresattime < ${renewedExpiry} - slidingexpirationinseconds * $3::float8 * interval '1 second'`;
  // Prepared-statement names are per connection and must keep one text: the table is part of the name.
  const prefix = `sharedstate_cache_${createHash('sha256').update(t).digest('hex').slice(0, 12)}`;
  return {
    get: {
      name: `${prefix}_get`,
      text: `WITH renewed AS (${renewal} RETURNING value)
SELECT value FROM renewed
UNION ALL
SELECT value FROM ${t} WHERE id = $1 AND expiresattime >= $2::timestamptz AND NOT EXISTS (SELECT FROM renewed)`,
    },
    refresh: { name: `${prefix}_refresh`, text: renewal },
    set: {
      name: `${prefix}_set`,
      text: `INSERT INTO ${t} (id, value, expiresattime, slidingexpirationinseconds, absoluteexpiration)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value, expiresattime = EXCLUDED.expiresattime,
slidingexpirationinseconds = EXCLUDED.slidingexpirationinseconds, absoluteexpiration = EXCLUDED.absoluteexpiration`,
    },
    remove: { name: `${prefix}_remove`, text: `DELETE FROM ${t} WHERE id = $1` },
    setIfValue: {
      name: `${prefix}_set_if_value`,
      text: `UPDATE ${t} SET value = $2, expiresattime = $3, slidingexpirationinseconds = $4, absoluteexpiration = $5
WHERE id = $1 AND expiresattime >= $6::timestamptz AND sha256(value) = $7`,
    },
    setIfAbsent: {
      name: `${prefix}_set_if_absent`,
      text: `INSERT INTO ${t} AS existing (id, value, expiresattime, slidingexpirationinseconds, absoluteexpiration)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value, expiresattime = EXCLUDED.expiresattime,
slidingexpirationinseconds = EXCLUDED.slidingexpirationinseconds, absoluteexpiration = EXCLUDED.absoluteexpiration
WHERE existing.expiresattime < $6::timestamptz`,
    },
    deleteExpiredBatch: {
      name: `${prefix}_sweep`,
      text: `DELETE FROM ${t} WHERE id IN (
SELECT id FROM ${t} WHERE expiresattime < $1::timestamptz LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    },
  };
}
