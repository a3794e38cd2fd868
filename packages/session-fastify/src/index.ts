export {
  aspnetCoreCompat,
  FastifyPropertySession,
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
export {
  type FastifySessionPluginOptions,
  fastifySession,
  getSession,
  type RequestSession,
  type SessionData,
  type SessionPluginTypes,
} from './fastify-session-plugin.ts';
