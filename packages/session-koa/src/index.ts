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
export { getSession, type KoaSessionAdapterOptions, session } from './koa-session-middleware.ts';
