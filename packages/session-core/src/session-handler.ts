import { randomUUID } from 'node:crypto';
import type { Logger } from '@sharedstate/shared-helpers';
import { LogThrottle } from '@sharedstate/shared-helpers';
import { BoundSessions } from './bound-sessions.ts';
import { BoundedCacheCalls } from './bounded-cache-calls.ts';
import { readCookie } from './cookie-header.ts';
import { KeyRingGate } from './key-ring-gate.ts';
import { ResponseCookie } from './response-cookie.ts';
import { Session } from './session.ts';
import { SessionContents } from './session-contents.ts';
import { SessionCookieKeys } from './session-cookie-keys.ts';
import { SessionConfigurationError } from './session-errors.ts';
import type { SessionHost } from './session-host.ts';
import { misuseOf, replacementOf } from './session-misuse.ts';
import {
  type ResolvedSessionOptions,
  resolveSessionOptions,
  type SessionOptions,
} from './session-options.ts';
import { asCommitError, rejectAsCommitError, SessionPersistence } from './session-persistence.ts';
import {
  checkReadiness,
  LatestSessionFailure,
  READINESS_PROBE_KEY,
  type SessionReadiness,
} from './session-readiness.ts';
import { deliver, type SessionReceiver } from './session-receiver.ts';
import type { SessionRequest, SessionResponseHeaders } from './session-request.ts';
import { SessionState } from './session-state.ts';
import { UserSessionIndex, type UserSessions } from './user-sessions.ts';

/** Stands for the key of a session that could not be read: never stored, never sent. */
const UNKNOWN_KEY = '';

/**
 * The whole session policy, shared by every framework adapter: reading and validating the cookie, loading,
 * committing or refreshing, the cookie to write, and what happens on failure. Adapters only translate: they
 * hand each request to begin() or beginThen(), get the request's SessionState (whose `session` the app
 * uses), and give it back to responseHeaders() and end().
 *
 * The request path of a returning visitor (a cookie seen in the last minute, an unchanged session) is kept
 * to one cache call and one promise here: no async functions, no per-request closures beyond the load's.
 */
export class SessionHandler {
  readonly #options: ResolvedSessionOptions;
  readonly #cookieKeys: SessionCookieKeys;
  readonly #ring: KeyRingGate;
  readonly #calls: BoundedCacheCalls;
  readonly #persistence: SessionPersistence;
  readonly #responseCookie: ResponseCookie;
  readonly #host: SessionHost;
  readonly #userSessions: UserSessionIndex;
  /** Per-request warnings (bad cookies, failed reads), at most once a minute each. */
  readonly #throttledLog: LogThrottle;
  /** The latest failed load or commit, for readiness. */
  readonly #failures: LatestSessionFailure;
  /** A failed save the app asked for (session.commit()): rejects its promise. */
  readonly #commitFailure = (error: unknown): never => {
    const failure = asCommitError(error);
    this.#failures.record('commit', failure);
    throw failure;
  };
  /** A failed save at the end of a request: fails the request, or goes to onCommitError. */
  readonly #endOfRequestFailure = (error: unknown): void => {
    const failure = asCommitError(error);
    this.#failures.record('commit', failure);
    if (this.#options.onCommitError) this.#options.onCommitError(failure);
    else throw failure;
  };

  constructor(options: SessionOptions) {
    const resolved = resolveSessionOptions(options);
    this.#options = resolved;
    const failures = new LatestSessionFailure(() => resolved.clock.now());
    this.#failures = failures;
    this.#throttledLog = new LogThrottle(resolved.logger);
    this.#ring = new KeyRingGate(resolved.dataProtection, resolved.logger);
    const cookieKeys = new SessionCookieKeys(resolved.dataProtection, this.#ring, this.#throttledLog);
    this.#cookieKeys = cookieKeys;
    this.#calls = new BoundedCacheCalls(resolved.ioTimeoutMs, resolved.cache.operationTimeoutMs);
    this.#userSessions = new UserSessionIndex({
      cache: resolved.cache,
      calls: this.#calls,
      clock: resolved.clock,
      logger: resolved.logger,
      ...resolved.userSessions,
    });
    const bound = new BoundSessions(
      this.#userSessions,
      resolved.clock,
      resolved.idleTimeoutMs,
      this.#throttledLog,
    );
    this.#persistence = new SessionPersistence({
      options: resolved,
      calls: this.#calls,
      log: this.#throttledLog,
      cookieValueOnceLoaded: (key) => cookieKeys.cookieValueOnceLoaded(key),
      forgetCookie: (cookie) => cookieKeys.forget(cookie),
      bound,
      loadFailed: (error) => failures.record('load', error),
    });
    const cookieValueFor = (key: string): string | undefined => cookieKeys.cookieValueFor(key);
    this.#responseCookie = new ResponseCookie(resolved, cookieValueFor);
    this.#host = {
      load: (state) => this.#persistence.load(state, undefined),
      commit: (state) => {
        try {
          state.syncView?.();
        } catch (error) {
          return Promise.reject(error).then(undefined, rejectAsCommitError);
        }
        return this.#persistence.save(state, false, this.#commitFailure, misuseOf(state));
      },
      newKey: () => randomUUID(),
      cookieValueFor,
      changedAfterEnd: (error) => resolved.logger?.error(error.message),
      bind: (state, userId, device) => bound.bind(state, userId, device),
      unbind: (state) => bound.unbind(state),
    };
  }

  /** Each user's signed-in sessions (session.signIn): listing them, ending one or all, from any instance. */
  get userSessions(): UserSessions {
    return this.#userSessions;
  }

  /** Where the middleware's warnings and errors go (undefined with `logger: false`). */
  get logger(): Logger | undefined {
    return this.#options.logger;
  }

  /**
   * Starts a request: finds the session the cookie names, or starts a new one (no I/O for a new one). With
   * load: 'eager' an existing session is loaded before the promise resolves; a load that fails or times
   * out gives a session with isAvailable false, never a rejection.
   */
  begin(request: SessionRequest): Promise<SessionState> {
    return this.#begin(request, undefined) as Promise<SessionState>;
  }

  /**
   * begin() for an adapter that carries on in a callback (Express's `next()`): the same session, handed to
   * `receiver.sessionReady`, or begin()'s rejection to `receiver.sessionFailed`. A returning visitor's
   * session goes to the receiver straight from the cache's answer: one promise and one microtask fewer per
   * request than waiting on begin().
   */
  beginThen(request: SessionRequest, receiver: SessionReceiver): void {
    void this.#begin(request, receiver);
  }

  /** begin() and beginThen(): resolves with the session, or, given a receiver, hands it there. */
  #begin(request: SessionRequest, receiver: SessionReceiver | undefined): Promise<SessionState | undefined> {
    let cookie: string | undefined;
    let key: string | undefined;
    try {
      cookie = readCookie(request.cookieHeader, this.#options.cookie.name);
      key = cookie === undefined ? undefined : this.#cookieKeys.recent(cookie);
    } catch (error) {
      if (receiver === undefined) return Promise.reject(error);
      receiver.sessionFailed(error);
      return Promise.resolve(undefined);
    }
    if (key !== undefined) return this.#open(request, key, cookie, receiver);
    const begun = this.#beginUnknown(request, cookie);
    if (receiver === undefined) return begun;
    return begun.then(
      (state) => deliver(state, receiver),
      (error: unknown) => {
        receiver.sessionFailed(error);
        return undefined;
      },
    );
  }

  /** A new SessionState for this request, with the Session the app gets made over it. */
  #newState(
    request: SessionRequest,
    key: string,
    cookie: string | undefined,
    hadCookie: boolean,
  ): SessionState {
    const options = this.#options;
    const contents = new SessionContents(options.maxSessionSize, options.merge);
    const state = new SessionState(request, key, cookie, hadCookie, options.clock, contents);
    state.session = new Session(this.#host, state);
    return state;
  }

  /**
   * A cookie not seen lately (or none): unprotect it, or start a new session. While the key ring cannot be
   * loaded, the request gets at once a session that reports itself unavailable, and a cookie it came with
   * is kept (it may be valid: the ring could not be read to tell).
   */
  async #beginUnknown(request: SessionRequest, cookie: string | undefined): Promise<SessionState> {
    if (!this.#ring.ready) {
      // Just after start, the ring's first load may still run: a request without a cookie needs no ring
      // unless it establishes a session (its cookie is then made when it saves), and one with a cookie
      // waits for it only briefly.
      if (!this.#ring.down && cookie === undefined)
        return this.#newState(request, randomUUID(), cookie, false);
      if (!(await this.#ring.available(this.#options.keyRingWaitMs)))
        return this.#unavailableSession(request, cookie, this.#ring.error);
    }
    if (cookie !== undefined) {
      let key: string | undefined;
      try {
        key = await this.#cookieKeys.unprotect(cookie);
      } catch (error) {
        return this.#unavailableSession(request, cookie, error);
      }
      if (key !== undefined) return (await this.#open(request, key, cookie, undefined)) as SessionState;
    }
    // The cookie value is made only if the handler establishes the session (ASP.NET Core makes it up
    // front, a key derivation and an encryption on every cookieless request). It is made synchronously,
    // which the loaded ring allows.
    return this.#newState(request, randomUUID(), cookie, false);
  }

  /**
   * For a readiness probe: whether the key ring is loaded (starting a new load if it is down) and whether
   * the cache answers a read now (one small read, bounded like a session load). Safe to call every few
   * seconds; it changes nothing.
   */
  readiness(): Promise<SessionReadiness> {
    return checkReadiness(
      this.#ring,
      this.#options.keyRingWaitMs,
      () => this.#calls.run('readiness check', () => this.#options.cache.get(READINESS_PROBE_KEY)),
      this.#failures.latest,
    );
  }

  /** A session for a request whose session cannot be read: no values, writes refused, its cookie left alone. */
  #unavailableSession(request: SessionRequest, cookie: string | undefined, cause: unknown): SessionState {
    const state = this.#newState(request, UNKNOWN_KEY, cookie, cookie !== undefined);
    state.unavailableCause = cause;
    state.applyLoaded(undefined, false);
    return state;
  }

  /** A session the cookie names: loaded (unless load is 'lazy'), then resolved with or handed to `receiver`. */
  #open(
    request: SessionRequest,
    key: string,
    cookie: string | undefined,
    receiver: SessionReceiver | undefined,
  ): Promise<SessionState | undefined> {
    const state = this.#newState(request, key, cookie, true);
    if (this.#options.load !== 'lazy') return this.#persistence.load(state, receiver);
    if (receiver === undefined) return Promise.resolve(state);
    return Promise.resolve(deliver(state, receiver));
  }

  /**
   * Called by an adapter whose `properties` option is on (express-session's session object, made from the
   * session once it is loaded, before the handler runs): fails at startup on what cannot work with it.
   */
  checkPropertyViews(): void {
    if (this.#options.load === 'lazy') {
      throw new SessionConfigurationError(
        "The properties option needs the session loaded before the handler runs: remove load: 'lazy'.",
      );
    }
  }

  /** The headers to add before the response starts (the cookie if the session was established or destroyed). */
  responseHeaders(state: SessionState): SessionResponseHeaders {
    try {
      // A value set as a property of a new session establishes it: its cookie must go out now.
      state.syncView?.();
    } catch {
      // Not lost: end() syncs again and fails the request with the same error.
    }
    return this.#responseCookie.headersFor(state);
  }

  /**
   * Ends a request: saves a changed session, removes a destroyed one, or renews the idle timeout of one that
   * was never read. Returns undefined when there is nothing to do (a session read and left unchanged), so
   * the adapter can send the response without waiting a tick. A failed save rejects with a
   * SessionCommitError (the request must fail) unless the onCommitError option takes it.
   */
  end(state: SessionState): Promise<void> | undefined {
    try {
      state.syncView?.();
    } catch (error) {
      return Promise.reject(error).then(undefined, this.#endOfRequestFailure);
    }
    const misuse = misuseOf(state);
    state.ended = true;
    if (misuse === undefined && !state.needsWrite) return undefined;
    return this.#persistence.save(state, true, this.#endOfRequestFailure, misuse);
  }

  /**
   * For adapters whose framework keeps the session in a property the app can assign (Express's
   * `req.session`): call, before the response headers and at the end of the request, with what `property`
   * holds when it no longer holds the session. `null` or `undefined` signs out, as `req.session = null`
   * does in cookie-session (and in express-session with `unset: 'destroy'`): the session is destroyed.
   * Another middleware's session object (express-session run beside this one during a migration) is left
   * alone. Anything else, such as a plain object of values, is not stored, so the request fails at its end
   * as an assigned property does.
   */
  replaced(state: SessionState, value: unknown, property: string): void {
    const replacement = replacementOf(value, property);
    if (replacement === 'leave' || (replacement === 'destroy' && state.destroyed)) return;
    if (this.#ignoredAfterEnd(state, property)) return;
    if (replacement === 'destroy') state.session.destroy();
    else state.misuse ??= replacement;
  }

  /** A replacement seen as the response goes out, after the save, changes nothing any more: it is logged. */
  #ignoredAfterEnd(state: SessionState, property: string): boolean {
    if (!state.ended) return false;
    this.#options.logger?.error(
      `${property} was replaced after the request ended and its session was saved; the replacement is ignored.`,
    );
    return true;
  }

  /**
   * Ends a request that failed (its handler threw past the framework's error handling): what it changed is
   * saved all the same, as ASP.NET Core (which commits in `finally`), express-session and koa-session do, so
   * a flash message or a failed-login counter set before the error is kept. The request's own error is what
   * the client and the app see, so a save that fails as well goes to onCommitError, or is logged: this
   * rejects only if onCommitError throws.
   */
  async endAfterFailure(state: SessionState): Promise<void> {
    try {
      state.syncView?.();
      const misuse = misuseOf(state);
      state.ended = true;
      if (misuse === undefined && !state.needsWrite) return;
      await this.#persistence.save(state, true, rejectAsCommitError, misuse);
    } catch (error) {
      const failure = asCommitError(error);
      this.#failures.record('commit', failure);
      if (this.#options.onCommitError) this.#options.onCommitError(failure);
      else this.#options.logger?.error(`${failure.message} (after the request itself failed)`);
    }
  }
}
