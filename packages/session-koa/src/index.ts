export {
  aspnetCoreCompat,
  Session,
  SessionCommitError,
  SessionConfigurationError,
  SessionError,
  type SessionOptions,
  SessionStateError,
  SessionTooLargeError,
  SessionUnavailableError,
  SessionUsageError,
} from '@sharedstate/session-core';
export { getSession, session } from './koa-session-middleware.ts';
