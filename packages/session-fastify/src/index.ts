export * from '@sharedstate/session-core';
export { FastifyPropertySession } from './fastify-property-session.ts';
export {
  type FastifySessionPluginOptions,
  fastifySession,
  getSession,
  type RequestSession,
  type SessionData,
  type SessionPluginTypes,
} from './fastify-session-plugin.ts';
