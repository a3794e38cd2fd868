export * from '@sharedstate/session-core';
export { type ExpressSessionAdapterOptions, getSession, session } from './express-session-middleware.ts';
