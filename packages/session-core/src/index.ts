// What an app uses. The adapters re-export it; adapter authors find the rest in ./adapter.
export { PropertySession } from './property-session.ts';
export { Session } from './session.ts';
export type { SessionCookieOptions } from './session-cookie-options.ts';
export { protectSessionCookie, unprotectSessionCookie } from './session-cookie-tools.ts';
export {
  SESSION_COMMIT_CHANNEL,
  SESSION_LOAD_CHANNEL,
  type SessionCommitAction,
  type SessionCommitEvent,
  type SessionCommitOutcome,
  type SessionLoadEvent,
  type SessionLoadOutcome,
  sessionCommitChannel,
  sessionLoadChannel,
} from './session-diagnostics.ts';
export {
  SessionCommitError,
  SessionConfigurationError,
  SessionError,
  SessionStateError,
  SessionsNotEndedError,
  SessionTooLargeError,
  SessionUnavailableError,
  SessionUsageError,
  SessionValueFormatError,
} from './session-errors.ts';
export { aspnetCoreCompat, type SessionOptions } from './session-options.ts';
export type { SessionFailure, SessionReadiness, SessionReadinessProbe } from './session-readiness.ts';
export type { UserSessionInfo, UserSessions, UserSessionsAccess } from './user-sessions.ts';
export type { UserSessionsOptions } from './user-sessions-options.ts';
