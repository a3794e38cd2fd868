export {
  aspnetCoreCompat,
  protectSessionCookie,
  Session,
  SessionCommitError,
  SessionConfigurationError,
  SessionError,
  type SessionOptions,
  SessionStateError,
  SessionTooLargeError,
  SessionUnavailableError,
  SessionUsageError,
  SessionValueFormatError,
  unprotectSessionCookie,
} from '@sharedstate/session-core';
export { type HonoSessionAdapterOptions, type SessionEnv, session } from './hono-session-middleware.ts';
