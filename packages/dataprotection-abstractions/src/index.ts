export type { Duration } from '@sharedstate/shared-helpers';
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
