export { readAdapterFlags } from './adapter-options.ts';
export { createFastifyPropertySession, FastifyPropertySession } from './fastify-property-session.ts';
export { PropertyView } from './property-view.ts';
export { Session } from './session.ts';
export { protectSessionKey, SESSION_PURPOSE, unprotectSessionKey } from './session-cookie.ts';
export { protectSessionCookie, unprotectSessionCookie } from './session-cookie-protection.ts';
export {
  SessionCommitError,
  SessionConfigurationError,
  SessionError,
  SessionStateError,
  SessionTooLargeError,
  SessionUnavailableError,
  SessionUsageError,
  SessionValueFormatError,
} from './session-errors.ts';
export { SessionHandler, type SessionReceiver } from './session-handler.ts';
export { aspnetCoreCompat, type SessionCookieOptions, type SessionOptions } from './session-options.ts';
export { createPropertySession, PropertySession } from './session-properties.ts';
export type { SessionReadiness, SessionReadinessProbe } from './session-readiness.ts';
export {
  forwardedProto,
  type SessionRequest,
  type SessionResponseHeaders,
} from './session-request.ts';
export { deserializeSession, type SessionSnapshot, serializeSession } from './session-serialization.ts';
