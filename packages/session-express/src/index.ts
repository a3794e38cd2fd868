export {
  aspnetCoreCompat,
  PropertySession,
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
} from '@sharedstate/session-core';
export { type ExpressSessionAdapterOptions, getSession, session } from './express-session-middleware.ts';
