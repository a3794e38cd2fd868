import type { KeyRingGate } from './key-ring-gate.ts';

/**
 * Whether sessions work now, for a readiness probe: the key ring is loaded and the cache answered a read
 * just now. Failing readiness does not stop the middleware: requests are served, with unavailable sessions
 * where needed, and both recover by themselves.
 */
export interface SessionReadiness {
  /** True when the key ring is loaded and the cache answered. */
  readonly ready: boolean;
  /** 'loaded' (in memory, kept through later outages), 'loading' (the first load runs), or 'unavailable'. */
  readonly keyRing: 'loaded' | 'loading' | 'unavailable';
  /** Whether the cache answered a read of a key no session uses, within the session's I/O bound. */
  readonly cache: 'ok' | 'unavailable';
  /** Why not ready, one line per cause (empty when ready); never a key or a cookie value. */
  readonly reasons: readonly string[];
  /**
   * The latest failure of a request's session work (a load left unavailable, a commit that failed), even
   * when ready again since: what failed, its message and when (ISO 8601). Absent until one happens.
   */
  readonly lastFailure?: SessionFailure;
}

/** A failed session load or commit, as readiness reports it. */
export interface SessionFailure {
  readonly operation: 'load' | 'commit';
  readonly message: string;
  /** When, ISO 8601. */
  readonly at: string;
}

/** Remembers the latest session failure for readiness (one object, replaced at each failure). */
export class LatestSessionFailure {
  #latest: SessionFailure | undefined;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  record(operation: SessionFailure['operation'], error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#latest = { operation, message, at: new Date(this.#now()).toISOString() };
  }

  get latest(): SessionFailure | undefined {
    return this.#latest;
  }
}

/** The cache key the readiness probe reads: never a session key (those are GUIDs). */
export const READINESS_PROBE_KEY = 'sharedstate-readiness-probe';

/** What each adapter's middleware (or Fastify instance) offers a readiness probe. */
export interface SessionReadinessProbe {
  /** See SessionHandler.readiness. */
  readiness(): Promise<SessionReadiness>;
}

/** The readiness of a handler's key ring and cache; `readProbe` reads READINESS_PROBE_KEY, bounded. */
export async function checkReadiness(
  ring: KeyRingGate,
  keyRingWaitMs: number,
  readProbe: () => Promise<unknown>,
  lastFailure: SessionFailure | undefined,
): Promise<SessionReadiness> {
  const reasons: string[] = [];
  // Waiting briefly lets a load that is nearly done count, as a request with a cookie would.
  const ringUp = ring.ready || (await ring.available(keyRingWaitMs));
  const keyRing = ringUp ? 'loaded' : ring.down ? 'unavailable' : 'loading';
  if (keyRing === 'loading') reasons.push('The key ring is still loading.');
  if (keyRing === 'unavailable') reasons.push('The key ring could not be loaded (see the error logged).');
  let cache: SessionReadiness['cache'] = 'ok';
  try {
    await readProbe();
  } catch (error) {
    cache = 'unavailable';
    reasons.push(`The cache did not answer: ${(error as Error).message}`);
  }
  const readiness = { ready: reasons.length === 0, keyRing, cache, reasons } as const;
  return lastFailure === undefined ? readiness : { ...readiness, lastFailure };
}
