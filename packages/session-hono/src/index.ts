export * from '@sharedstate/session-core';
export { type HonoSessionAdapterOptions, type SessionEnv, session } from './hono-session-middleware.ts';
