import type { DistributedCache } from '../distributed-cache.ts';

/**
 * How the suite controls time for a provider. A provider whose clock is injectable moves it; a provider
 * whose server keeps time (Redis, SQL Server) sleeps for real, with a unit short enough to keep the run
 * fast but long enough to dwarf network jitter and the server's expiry granularity.
 */
export interface ConformanceTiming {
  /** The unit every time-based case is expressed in, in milliseconds (cases wait up to 5 units in a row). */
  unitMs: number;
  /** What the provider considers now, in epoch milliseconds (used to build absolute expirations). */
  now(): number;
  /** Lets `ms` milliseconds pass for the provider: advance a fake clock or sleep. */
  advance(ms: number): Promise<void> | void;
}

export interface CacheConformanceOptions {
  /** Makes a cache for one case; every case gets a fresh one and may assume nothing else writes to it. */
  createCache(): DistributedCache | Promise<DistributedCache>;
  /** Releases what createCache made (close clients, dispose timers). */
  disposeCache?(cache: DistributedCache): Promise<void> | void;
  timing: ConformanceTiming;
  /** Case names to leave out, each with the reason shown in the test title. */
  skip?: Record<string, string>;
  /**
   * The provider offers conditional writes (setIfUnchanged, see ConditionalSet): their cases run. The suite
   * checks the claim both ways, so a provider that has the method must say so here.
   */
  conditionalSet?: boolean;
  /**
   * The provider publishes its operations on the `sharedstate.cache.operation` tracing channel (see
   * traceCacheOperation), under this provider and system name: the case that checks the events runs.
   */
  diagnostics?: { provider: string; system: string };
}

/** Real time, for providers whose server decides expiry. */
export function realTiming(unitMs: number): ConformanceTiming {
  return {
    unitMs,
    now: () => Date.now(),
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
