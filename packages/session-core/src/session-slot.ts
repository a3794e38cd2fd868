import type { Session } from './session.ts';
import { SessionStateError } from './session-errors.ts';

/**
 * Where every adapter keeps the request's Session on its framework's request object (Express's req, Koa's
 * ctx, Fastify's request): a symbol property, cheaper for the GC than a WeakMap per request, and one key for
 * all adapters and copies of them.
 */
export const SESSION_SLOT: unique symbol = Symbol.for('@sharedstate/session') as never;

/** The session an adapter put on `holder`, typed with the app's data; `missing` says what to check when none is there. */
export function sessionIn<TData extends object>(holder: object, missing: string): Session<TData> {
  const found = (holder as { [SESSION_SLOT]?: Session<object> | null })[SESSION_SLOT];
  if (!found) throw new SessionStateError(missing);
  return found as unknown as Session<TData>;
}
