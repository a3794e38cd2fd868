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
}

/** The cache key the readiness probe reads: never a session key (those are GUIDs). */
export const READINESS_PROBE_KEY = 'sharedstate-readiness-probe';

/** What each adapter's middleware (or Fastify instance) offers a readiness probe. */
export interface SessionReadinessProbe {
  /** See SessionHandler.readiness. */
  readiness(): Promise<SessionReadiness>;
}
