import type { Clock } from '@sharedstate/shared-helpers';
import type { SessionUsageError } from './session-errors.ts';
import type { SessionRequest } from './session-request.ts';

/**
 * What the middleware knows about one session during one request: its cache key, where it came from, and
 * what must happen at the end of the request. One object per session, read in place by the handler (no
 * copies on the request path). Not part of the app-facing API.
 */
export class SessionState {
  /** The cache key (and, protected, the cookie value). */
  key: string;
  /** The protected cookie value for `key`; made only when the session is established. */
  cookieValue: string | undefined;
  /** The key the request came with, when renewKey() or regenerate() replaced it; its entry is removed on commit. */
  replacedKey: string | undefined = undefined;
  /** A valid session cookie came with the request. */
  readonly hadCookie: boolean;
  /** The cookie value the request came with (valid or not), to tell whether the browser holds the current one. */
  readonly requestCookie: string | undefined;
  readonly request: SessionRequest;
  /** The middleware's clock: when a remembered session's cookie was sent, and when it expires. */
  readonly clock: Clock;
  loaded: boolean;
  available = true;
  /** Why the session is unavailable (the cache's or the key ring's error), carried by SessionUnavailableError. */
  unavailableCause: unknown = undefined;
  modified = false;
  /** The app changed the session in this request (kept after the save, for the cookie's re-sending). */
  changed = false;
  established: boolean;
  destroyed = false;
  destroySaved = false;
  /**
   * The end of the request has begun saving the session: a change made after this (by a promise the handler
   * did not await) could not be saved, so it is refused.
   */
  ended = false;
  /**
   * This session's own lifetime from session.rememberFor() (read back from the stored session on load), in
   * milliseconds; undefined for the middleware's cookie.maxAge and idleTimeout.
   */
  lifetimeMs: number | undefined = undefined;
  /** rememberFor() changed the lifetime in this request: the cookie goes out again with it. */
  lifetimeChanged = false;
  /**
   * When the remembered session's cookie was last sent with its lifetime, in epoch milliseconds (whole seconds
   * when read back from the stored session); undefined when the session is not remembered or its stored
   * lifetime does not say.
   */
  cookieSentAtMs: number | undefined = undefined;
  /**
   * Writes into the session what the app changed in a view made over it (the express-session-style object
   * of the adapters' `properties` option); set by that view, run before the response headers, before a
   * commit and at the end of the request.
   */
  syncView: (() => void) | undefined = undefined;
  /**
   * The merge mode's view of the cache: the bytes this session was loaded from or last saved as (undefined
   * for none), which a save expects to find there still.
   */
  stored: Uint8Array | undefined = undefined;
  /** Something the app put in the session's place that cannot be stored; fails the request at its end. */
  misuse: SessionUsageError | undefined = undefined;

  constructor(
    request: SessionRequest,
    key: string,
    requestCookie: string | undefined,
    hadCookie: boolean,
    clock: Clock,
  ) {
    this.request = request;
    this.clock = clock;
    this.key = key;
    this.requestCookie = requestCookie;
    this.hadCookie = hadCookie;
    // The browser's cookie already carries the key; a new session's cookie is made when it is established.
    this.cookieValue = hadCookie ? requestCookie : undefined;
    // A brand-new session has nothing to load; an existing one is loaded by the middleware or load().
    this.loaded = !hadCookie;
    this.established = hadCookie;
  }

  /** Whether the end of the request has anything to save, remove or refresh. */
  get needsWrite(): boolean {
    if (this.destroyed) return !this.destroySaved;
    return this.modified || (this.hadCookie && !this.loaded);
  }
}

/** The key under which a Session keeps its state; not exported from the package. */
export const SESSION_STATE: unique symbol = Symbol('sharedstate.sessionState');
