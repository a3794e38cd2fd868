import type { SessionState } from './session-state.ts';

/**
 * Where SessionHandler.beginThen hands the session (or the error) to an adapter that carries on in a
 * callback, such as Express's `next()`. An adapter's per-request object can be its own receiver, so a
 * request needs no closure for it.
 */
export interface SessionReceiver {
  /** The session is ready: loaded, or unavailable for this request if the cache failed (never an error). */
  sessionReady(state: SessionState): void;
  /** The request cannot have a session (as when begin() rejects). */
  sessionFailed(error: unknown): void;
}

/**
 * Hands a loaded session to an adapter's receiver. A receiver that throws gets the error back as a failure
 * (Express's error handling), not an unhandled rejection of a promise nobody holds.
 */
export function deliver(state: SessionState, receiver: SessionReceiver): undefined {
  try {
    receiver.sessionReady(state);
  } catch (error) {
    receiver.sessionFailed(error);
  }
  return undefined;
}
