import type { Clock } from '@sharedstate/shared-helpers';
import type { Session } from './session.ts';
import type { SessionContents } from './session-contents.ts';
import type { SessionUsageError } from './session-errors.ts';
import { cookieRenewalDue, decodeLifetime, encodeLifetime, LIFETIME_KEY } from './session-lifetime.ts';
import type { SessionRequest } from './session-request.ts';
import type { SessionSnapshot } from './session-serialization.ts';
import { decodeBinding, encodeBinding, USER_KEY, type UserBinding } from './user-binding.ts';

/**
 * What the middleware knows about one session during one request: its cache key, where it came from, and
 * what must happen at the end of the request. One object per session, made by the SessionHandler, which
 * hands it to the adapter (the app gets `session`, the Session made over it); read in place (no copies on
 * the request path). Not part of the app-facing API.
 */
export class SessionState {
  /** The app's view of this session; made over this state, right after it. */
  session!: Session<object>;
  /** The session's values. */
  readonly contents: SessionContents;
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
  /** Whose session this is (session.signIn), read back from the stored session; undefined for none. */
  binding: UserBinding | undefined = undefined;
  /** The user's index must hear of this session at the save: its new key, last-seen time or lifetime. */
  indexStale = false;

  constructor(
    request: SessionRequest,
    key: string,
    requestCookie: string | undefined,
    hadCookie: boolean,
    clock: Clock,
    contents: SessionContents,
  ) {
    this.contents = contents;
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

  /** Marks the session changed in this request (to be saved). */
  touched(): void {
    this.modified = true;
    this.changed = true;
  }

  /**
   * Fills the session with what the cache returned (undefined: nothing, or nothing readable). A remembered
   * session in use keeps its cookie: sent again, with its full lifetime, once half of it has passed.
   */
  applyLoaded(snapshot: SessionSnapshot | undefined, available: boolean): void {
    this.loaded = true;
    this.available = available;
    if (snapshot === undefined) return;
    this.contents.apply(snapshot);
    this.binding = decodeBinding(snapshot.entries.get(USER_KEY));
    const stored = decodeLifetime(snapshot.entries.get(LIFETIME_KEY));
    if (stored === undefined) return;
    this.lifetimeMs = stored.lifetimeMs;
    this.cookieSentAtMs = stored.cookieSentAtMs;
    if (available && cookieRenewalDue(stored, this.clock.now()) && !this.request.responseStarted()) {
      this.stampLifetime(stored.lifetimeMs);
      this.lifetimeChanged = true;
    }
  }

  /**
   * Stores the lifetime with the time its cookie goes out (now), which cookie.maxAge counts down from. The
   * caller has checked that the session can change.
   */
  stampLifetime(lifetimeMs: number): void {
    const now = this.clock.now();
    this.contents.write(LIFETIME_KEY, encodeLifetime(lifetimeMs, now));
    this.touched();
    this.cookieSentAtMs = now;
  }

  /**
   * The merge mode's conflict: another request saved `snapshot` first. The session becomes that with this
   * request's changes applied to it again, and takes the lifetime the result carries.
   */
  rebase(snapshot: SessionSnapshot | undefined): void {
    this.contents.rebase(snapshot);
    this.binding = decodeBinding(this.contents.peek(USER_KEY));
    const stored = decodeLifetime(this.contents.peek(LIFETIME_KEY));
    this.lifetimeMs = stored?.lifetimeMs;
    this.cookieSentAtMs = stored?.cookieSentAtMs;
  }

  /**
   * Records whose session this is (signIn), or, with undefined, that it is nobody's any more (sign-out);
   * the caller has updated the user's index first.
   */
  bind(binding: UserBinding | undefined): void {
    this.binding = binding;
    if (binding === undefined) this.contents.delete(USER_KEY);
    else this.contents.write(USER_KEY, encodeBinding(binding));
    this.touched();
  }

  /** After a successful save (or removal). */
  markSaved(): void {
    this.modified = false;
    this.contents.saved();
    this.replacedKey = undefined;
    if (this.destroyed) this.destroySaved = true;
  }
}
