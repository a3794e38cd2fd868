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
export { type ExpressSessionAdapterOptions, getSession, session } from './express-session-middleware.ts';
