export type { Duration } from '@sharedstate/shared-helpers';
export {
  COOKIE_UNPROTECT_CHANNEL,
  type CookieUnprotectEvent,
  type CookieUnprotectOutcome,
  cookieUnprotectChannel,
  cookieUnprotectOutcomeOf,
  KEY_RING_EVENT_CHANNEL,
  KEY_RING_LOAD_CHANNEL,
  type KeyRingEvent,
  type KeyRingEventKind,
  type KeyRingKeyCounts,
  type KeyRingLoadEvent,
  keyRingEventChannel,
  keyRingLoadChannel,
} from './data-protection-diagnostics.ts';
export {
  DataProtectionError,
  KeyDecryptionError,
  KeyNotFoundError,
  KeyRevokedError,
  KeyRingError,
  PayloadError,
  PayloadExpiredError,
  PayloadInvalidError,
  PayloadNotProtectedError,
  PayloadVersionError,
  RepositoryUnavailableError,
} from './data-protection-errors.ts';
export type { DataProtectionProvider } from './data-protection-provider.ts';
export type { DangerousUnprotectResult, DataProtector } from './data-protector.ts';
export type {
  Expiration,
  TimeLimitedDataProtector,
  TimeLimitedUnprotectResult,
} from './time-limited-data-protector.ts';
