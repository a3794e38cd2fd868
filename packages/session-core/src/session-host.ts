import type { SessionStateError } from './session-errors.ts';
import type { SessionState } from './session-state.ts';

/**
 * What a Session asks of the middleware that made it (one per SessionHandler, shared by its sessions): the
 * one interface between the app's session and the request flow.
 */
export interface SessionHost {
  /** Reads the session from the cache (lazy mode, or an explicit load()); never rejects (unavailable instead). */
  load(state: SessionState): Promise<unknown>;
  /** Saves now what end-of-request would save. */
  commit(state: SessionState): Promise<void>;
  /** A new random session key. */
  newKey(): string;
  /** The cookie value for a session key; undefined while the key ring is not loaded yet (made at the save). */
  cookieValueFor(key: string): string | undefined;
  /** Reports a change refused because the request had ended (logged: it may reach no handler of the app). */
  changedAfterEnd(error: SessionStateError): void;
  /** Makes the session (on its new key) the user's: adds it to the user's index, then records it. */
  bind(state: SessionState, userId: string, device: string | undefined): Promise<void>;
  /** Takes a bound session out of its user's index, then records that it is nobody's. */
  unbind(state: SessionState): Promise<void>;
}
