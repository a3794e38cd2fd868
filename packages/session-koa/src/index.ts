export {
  aspnetCoreCompat,
  PropertySession,
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
export { getSession, type KoaSessionAdapterOptions, session } from './koa-session-middleware.ts';
