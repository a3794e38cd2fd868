/**
 * The channels this package listens on (their names are public API of the packages that publish them:
 * caching-abstractions, session-core, dataprotection-abstractions), and the metric and attribute names it
 * records. Semantic-convention names where a convention exists; `sharedstate.*` for the rest.
 */
export const CHANNELS = {
  cacheOperation: 'sharedstate.cache.operation',
  sessionLoad: 'sharedstate.session.load',
  sessionCommit: 'sharedstate.session.commit',
  cookieUnprotect: 'sharedstate.cookie.unprotect',
  keyRingLoad: 'sharedstate.key_ring.load',
  keyRingEvent: 'sharedstate.key_ring.event',
} as const;

/** The metrics recorded (see docs/observability.md for their types, units and attributes). */
export const METRICS = {
  dbOperationDuration: 'db.client.operation.duration',
  cacheOperations: 'sharedstate.cache.operations',
  sessionLoadDuration: 'sharedstate.session.load.duration',
  sessionCommitDuration: 'sharedstate.session.commit.duration',
  sessionConflictRetries: 'sharedstate.session.commit.conflict_retries',
  cookieUnprotects: 'sharedstate.cookie.unprotect',
  keyRingAge: 'sharedstate.key_ring.age',
  keyRingKeys: 'sharedstate.key_ring.keys',
  keyRingLoads: 'sharedstate.key_ring.loads',
  keyRingEvents: 'sharedstate.key_ring.events',
} as const;

/** The attributes the metrics and spans carry. */
export const ATTRIBUTES = {
  dbSystemName: 'db.system.name',
  dbOperationName: 'db.operation.name',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
  cacheProvider: 'sharedstate.cache.provider',
  cacheOutcome: 'sharedstate.cache.outcome',
  cacheRemoved: 'sharedstate.cache.removed',
  sessionConflictRetries: 'sharedstate.session.conflict_retries',
  sessionAction: 'sharedstate.session.action',
  sessionOutcome: 'sharedstate.session.outcome',
  cookieName: 'sharedstate.cookie.name',
  cookieOutcome: 'sharedstate.cookie.outcome',
  cookieCached: 'sharedstate.cookie.cached',
  keyRingRepository: 'sharedstate.key_ring.repository',
  keyRingKeyState: 'sharedstate.key_ring.key.state',
  keyRingLoadOutcome: 'sharedstate.key_ring.load.outcome',
  keyRingEvent: 'sharedstate.key_ring.event',
} as const;

/** Seconds, for durations: the bucket boundaries OpenTelemetry's database conventions advise. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];
