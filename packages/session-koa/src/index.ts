export * from '@sharedstate/session-core';
export { getSession, type KoaSessionAdapterOptions, session } from './koa-session-middleware.ts';
