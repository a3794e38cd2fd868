import { randomUUID } from 'node:crypto';
import {
  CacheEntryConflictError,
  type CacheEntryOptions,
  CacheUnavailableError,
  type ConditionalSet,
  type DistributedCache,
  OperationDeadlines,
} from '@sharedstate/caching-abstractions';
import { type DataProtector, RepositoryUnavailableError } from '@sharedstate/dataprotection-abstractions';
import { LogThrottle } from './log-throttle.ts';
import { FOR_LIBRARIES } from './other-library-habits.ts';
import { Session, type SessionHost } from './session.ts';
import {
  decodeCookieValue,
  expiredCookieHeader,
  protectingKeyId,
  protectSessionKey,
  readCookie,
  SESSION_PURPOSE,
  sessionCookieHeader,
  unprotectSessionKey,
} from './session-cookie.ts';
import { SessionCommitError, SessionConfigurationError, SessionUsageError } from './session-errors.ts';
import {
  type ResolvedSessionOptions,
  resolveSessionOptions,
  type SessionOptions,
} from './session-options.ts';
import { READINESS_PROBE_KEY, type SessionReadiness } from './session-readiness.ts';
import type { SessionRequest, SessionResponseHeaders } from './session-request.ts';
import { deserializeSession, serializeSession } from './session-serialization.ts';
import { SESSION_STATE, type SessionState } from './session-state.ts';
import { UnprotectedCookieCache } from './unprotected-cookie-cache.ts';

/**
 * Where SessionHandler.beginThen hands the session (or the error) to an adapter that carries on in a
 * callback, such as Express's `next()`. An adapter's per-request object can be its own receiver, so a
 * request needs no closure for it.
 */
export interface SessionReceiver {
  /** The session is ready: loaded, or unavailable for this request if the cache failed (never an error). */
  sessionReady(session: Session): void;
  /** The request cannot have a session (as when begin() rejects). */
  sessionFailed(error: unknown): void;
}

/**
 * Hands a loaded session to an adapter's receiver. A receiver that throws gets the error back as a failure
 * (Express's error handling), not an unhandled rejection of a promise nobody holds.
 */
function deliver(session: Session<object>, receiver: SessionReceiver): undefined {
  try {
    receiver.sessionReady(session as Session);
  } catch (error) {
    receiver.sessionFailed(error);
  }
  return undefined;
}

const RING_UP = () => true;
const RING_DOWN = () => false;

/** Any failure to save, as the one error type callers handle. */
const asCommitError = (error: unknown): SessionCommitError =>
  error instanceof SessionCommitError
    ? error
    : new SessionCommitError(`The session could not be saved: ${(error as Error).message}`, { cause: error });
const rejectAsCommitError = (error: unknown): never => {
  throw asCommitError(error);
};

/**
 * What the app did that cannot be stored, or undefined. Properties assigned on the session object itself
 * (`req.session.user = …`, as express-session and koa-session allow): the Session keeps its own state in
 * private fields and one symbol, so any enumerable string key was put there by the app. Or an object put
 * in the session's place (see SessionHandler.replaced).
 */
function misuseOf(session: Session<object>): SessionUsageError | undefined {
  const names = Object.keys(session);
  if (names.length === 0) return session[SESSION_STATE].misuse;
  const listed = names.map((name) => `'${name}'`).join(', ');
  const first = JSON.stringify(names[0]);
  return new SessionUsageError(
    `The app assigned ${listed} as ${names.length === 1 ? 'a property' : 'properties'} of the session object, ` +
      `which is not stored (it would be gone on the next request); use session.setJson(${first}, value) and ` +
      `session.getJson(${first}) (or setString, setInt32, set). If a library assigned it: ${FOR_LIBRARIES}.`,
  );
}

/** Writes what changed in the session's property view (adapters' `properties` option), if it has one. */
function syncView(session: Session<object>): void {
  session[SESSION_STATE].syncView?.();
}

/** A value in the session's place that is another middleware's session (a class instance), not the app's data. */
const isForeignSession = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype !== Object.prototype && prototype !== null;
};

/**
 * How many times a save in the merge mode tries before it fails: each failed try means another request of
 * the same session saved in between, so this many requests would have to overlap one another.
 */
const MERGE_ATTEMPTS = 100;

/** While the key ring cannot be loaded, requests do not wait for it; a new load is tried this often. */
const RING_RETRY_MS = 1_000;
/** Stands for the key of a session that could not be read: never stored, never sent. */
const UNKNOWN_KEY = '';

const NO_HEADERS: SessionResponseHeaders = Object.freeze({ setCookie: undefined, cacheControl: {} });
const NO_CACHE = Object.freeze({ 'Cache-Control': 'no-cache,no-store', Pragma: 'no-cache', Expires: '-1' });

/**
 * The whole session policy, shared by every framework adapter: reading and validating the cookie, loading,
 * committing or refreshing, the cookie to write, and what happens on failure. Adapters only translate.
 *
 * The request path of a returning visitor (a cookie seen in the last minute, an unchanged session) is kept
 * to one cache call and one promise here: no async functions, no per-request closures beyond the load's.
 */
export class SessionHandler {
  readonly options: ResolvedSessionOptions;
  readonly #protector: DataProtector;
  readonly #cookieKeys = new UnprotectedCookieCache();
  readonly #deadlines: OperationDeadlines | undefined;
  readonly #host: SessionHost;
  /** The same options for every save (the idle timeout, sliding in the cache). */
  readonly #entryOptions: CacheEntryOptions;
  /** The key ring's load: in flight, or done (kept, as the ring stays in memory from then on). */
  #ringLoaded: Promise<void> | undefined;
  /** When the last load failed (performance.now()), while none has succeeded since: the ring is down. */
  #ringFailedAt: number | undefined;
  /** The ring has loaded once: it stays in memory from then on, and cookies can be protected at once. */
  #ringReady = false;
  /** The last load's error while the ring is down: the cause an unavailable session reports. */
  #ringError: unknown;
  #warnedUntrustedProxy = false;
  /** Per-request warnings (bad cookies, failed reads), at most once a minute each. */
  readonly #throttledLog: LogThrottle;
  /** A failed save at the end of a request: fails the request, or goes to onCommitError. */
  readonly #endOfRequestFailure = (error: unknown): void => {
    const failure = asCommitError(error);
    if (this.options.onCommitError) this.options.onCommitError(failure);
    else throw failure;
  };

  constructor(options: SessionOptions) {
    this.options = resolveSessionOptions(options);
    this.#throttledLog = new LogThrottle(this.options.logger);
    this.#protector = this.options.dataProtection.createProtector(SESSION_PURPOSE);
    // A key revoked anywhere (another instance, an operator's tool, ASP.NET Core) is refused from the next
    // request after the ring's reload, not once the remembered cookie's minute is over. A provider without
    // the hook (a custom one) still works; a revocation then takes up to that minute.
    const provider: Partial<Pick<SessionOptions['dataProtection'], 'onKeyRingLoaded'>> =
      this.options.dataProtection;
    provider.onKeyRingLoaded?.((canUnprotectWith) =>
      this.#cookieKeys.forgetKeysWhere((keyId) => !canUnprotectWith(keyId)),
    );
    // Loading starts now, so that a repository that is down is known to be down before the first request,
    // which then does not wait for it.
    void this.#loadRing().catch(() => {});
    this.#entryOptions = Object.freeze({ slidingExpiration: this.options.idleTimeoutMs });
    // A cache that bounds its own calls at least as tightly (RedisCache's operationTimeout) needs no
    // second watchdog: one entry and one promise less on every load and save.
    const { ioTimeoutMs, cache } = this.options;
    const cacheBound = cache.operationTimeoutMs;
    this.#deadlines =
      ioTimeoutMs === undefined || (cacheBound !== undefined && cacheBound <= ioTimeoutMs)
        ? undefined
        : new OperationDeadlines(ioTimeoutMs);
    this.#host = {
      load: (session) => this.#load(session, undefined) as Promise<Session<object>>,
      commit: (session) => {
        try {
          syncView(session);
        } catch (error) {
          return Promise.reject(error).then(undefined, rejectAsCommitError);
        }
        return this.#save(session, false, rejectAsCommitError, misuseOf(session));
      },
      newKey: () => randomUUID(),
      cookieValueFor: (key) => {
        try {
          return protectSessionKey(this.#protector, key);
        } catch (error) {
          // Before the ring's first load the cookie is made at the save, which waits for the ring.
          if (this.#ringReady) throw error;
          return undefined;
        }
      },
      maxSessionSize: this.options.maxSessionSize,
      clock: this.options.clock,
      mergeUpdates: this.options.merge,
      changedAfterEnd: (error) => this.options.logger?.error(error.message),
    };
  }

  /**
   * Starts a request: finds the session the cookie names, or starts a new one (no I/O for a new one). With
   * load: 'eager' an existing session is loaded before the promise resolves; a load that fails or times
   * out gives a session with isAvailable false, never a rejection.
   */
  begin(request: SessionRequest): Promise<Session> {
    return this.#begin(request, undefined) as Promise<Session>;
  }

  /**
   * begin() for an adapter that carries on in a callback (Express's `next()`): the same session, handed to
   * `receiver.sessionReady`, or begin()'s rejection to `receiver.sessionFailed`. A returning visitor's
   * session goes to the receiver straight from the cache's answer: one promise and one microtask fewer per
   * request than waiting on begin(), whose promise, resolved with the session, also looks up a `then` on
   * it, a slow path in V8.
   */
  beginThen(request: SessionRequest, receiver: SessionReceiver): void {
    void this.#begin(request, receiver);
  }

  /** begin() and beginThen(): resolves with the session, or, given a receiver, hands it there. */
  #begin(request: SessionRequest, receiver: SessionReceiver | undefined): Promise<Session | undefined> {
    let cookie: string | undefined;
    let key: string | undefined;
    try {
      cookie = readCookie(request.cookieHeader, this.options.cookie.name);
      key = cookie === undefined ? undefined : this.#cookieKeys.get(cookie);
    } catch (error) {
      if (receiver === undefined) return Promise.reject(error);
      receiver.sessionFailed(error);
      return Promise.resolve(undefined);
    }
    if (key !== undefined) return this.#open(request, key, cookie, receiver);
    const begun = this.#beginUnknown(request, cookie);
    if (receiver === undefined) return begun;
    return begun.then(
      (session) => deliver(session as Session<object>, receiver),
      (error: unknown) => {
        receiver.sessionFailed(error);
        return undefined;
      },
    );
  }

  /**
   * A cookie not seen lately (or none): unprotect it, or start a new session. While the key ring cannot be
   * loaded, the request gets at once a session that reports itself unavailable, and a cookie it came with
   * is kept (it may be valid: the ring could not be read to tell).
   */
  async #beginUnknown(request: SessionRequest, cookie: string | undefined): Promise<Session> {
    if (!this.#ringReady) {
      // Just after start, the ring's first load may still run: a request without a cookie needs no ring
      // unless it establishes a session (its cookie is then made when it saves), and one with a cookie
      // waits for it only briefly.
      const loading = this.#ringFailedAt === undefined;
      if (loading && cookie === undefined)
        return new Session(this.#host, request, randomUUID(), cookie, false);
      if (!(await this.#ringAvailable(this.options.keyRingWaitMs)))
        return this.#unavailableSession(request, cookie, this.#ringError);
    }
    if (cookie !== undefined) {
      try {
        const key = await unprotectSessionKey(this.#protector, cookie);
        if (key !== undefined) {
          this.#cookieKeys.set(cookie, key, protectingKeyId(cookie));
          return (await this.#open(request, key, cookie, undefined)) as Session;
        }
        this.#throttledLog.log(
          'warn',
          'no-key',
          'The session cookie does not hold a session key; starting a new session.',
        );
      } catch (error) {
        if (error instanceof RepositoryUnavailableError) {
          // The cookie names a key the ring in memory lacks, and the repository could not be asked for it.
          this.#throttledLog.log(
            'warn',
            'ring-reread',
            `The session cookie could not be checked (the key ring could not be re-read); the session is unavailable for this request: ${error.message}`,
          );
          return this.#unavailableSession(request, cookie, error);
        }
        // Tampered, foreign, or protected with a key this ring lacks: a fresh session, never an error page.
        this.#throttledLog.log(
          'warn',
          'unprotect',
          `Error unprotecting the session cookie; starting a new session: ${(error as Error).message}`,
        );
      }
    }
    // The cookie value is made only if the handler establishes the session (ASP.NET Core makes it up
    // front, a key derivation and an encryption on every cookieless request). It is made synchronously,
    // which the loaded ring allows.
    return new Session(this.#host, request, randomUUID(), cookie, false);
  }

  /**
   * True once the key ring is loaded; while a load runs, waits for it at most `waitMs`; false at once while
   * the ring is known to be down, starting a new load in the background at most every RING_RETRY_MS.
   */
  #ringAvailable(waitMs: number): Promise<boolean> | boolean {
    if (this.#ringReady) return true;
    const failedAt = this.#ringFailedAt;
    if (failedAt === undefined) {
      const loaded = this.#loadRing().then(RING_UP, RING_DOWN);
      if (waitMs <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<boolean>((resolve) => {
        timer = setTimeout(resolve, waitMs, false);
      });
      return Promise.race([loaded, waited]).finally(() => clearTimeout(timer));
    }
    if (this.#ringLoaded === undefined && performance.now() - failedAt >= RING_RETRY_MS) {
      void this.#loadRing().catch(() => {});
    }
    return false;
  }

  /** The shared load of the key ring; a failed one is not kept, so a later call tries again. */
  #loadRing(): Promise<void> {
    this.#ringLoaded ??= this.options.dataProtection.initialize().then(
      () => {
        if (this.#ringFailedAt !== undefined) this.options.logger?.info('The key ring is loaded again.');
        this.#ringFailedAt = undefined;
        this.#ringError = undefined;
        this.#ringReady = true;
      },
      (error: unknown) => {
        this.#ringLoaded = undefined;
        this.#ringError = error;
        if (this.#ringFailedAt === undefined) {
          this.options.logger?.error(
            `The key ring could not be loaded; sessions are unavailable until it can be (requests do not wait for it): ${(error as Error).message}`,
          );
        }
        this.#ringFailedAt = performance.now();
        throw error;
      },
    );
    return this.#ringLoaded;
  }

  /**
   * For a readiness probe: whether the key ring is loaded (starting a new load if it is down) and whether
   * the cache answers a read now (one small read, bounded like a session load). Safe to call every few
   * seconds; it changes nothing.
   */
  async readiness(): Promise<SessionReadiness> {
    const reasons: string[] = [];
    // Waiting briefly lets a load that is nearly done count, as a request with a cookie would.
    const ringUp = this.#ringReady || (await this.#ringAvailable(this.options.keyRingWaitMs));
    const keyRing = ringUp ? 'loaded' : this.#ringFailedAt === undefined ? 'loading' : 'unavailable';
    if (keyRing === 'loading') reasons.push('The key ring is still loading.');
    if (keyRing === 'unavailable') reasons.push('The key ring could not be loaded (see the error logged).');
    let cache: SessionReadiness['cache'] = 'ok';
    try {
      await this.#io('readiness check', () => this.options.cache.get(READINESS_PROBE_KEY));
    } catch (error) {
      cache = 'unavailable';
      reasons.push(`The cache did not answer: ${(error as Error).message}`);
    }
    return { ready: reasons.length === 0, keyRing, cache, reasons };
  }

  /** A session for a request whose session cannot be read: no values, writes refused, its cookie left alone. */
  #unavailableSession(request: SessionRequest, cookie: string | undefined, cause: unknown): Session {
    const session = new Session(this.#host, request, UNKNOWN_KEY, cookie, cookie !== undefined);
    session[SESSION_STATE].unavailableCause = cause;
    session.applyLoaded(undefined, false);
    return session;
  }

  /** A session the cookie names: loaded (unless load is 'lazy'), then resolved with or handed to `receiver`. */
  #open(
    request: SessionRequest,
    key: string,
    cookie: string | undefined,
    receiver: SessionReceiver | undefined,
  ): Promise<Session | undefined> {
    const session = new Session(this.#host, request, key, cookie, true);
    if (this.options.load !== 'lazy') {
      return this.#load(session as Session<object>, receiver) as Promise<Session | undefined>;
    }
    if (receiver === undefined) return Promise.resolve(session);
    return Promise.resolve(deliver(session as Session<object>, receiver));
  }

  /**
   * Called by an adapter whose `properties` option is on (express-session's session object, made from the
   * session once it is loaded, before the handler runs): fails at startup on what cannot work with it.
   */
  checkPropertyViews(): void {
    if (this.options.load === 'lazy') {
      throw new SessionConfigurationError(
        "The properties option needs the session loaded before the handler runs: remove load: 'lazy'.",
      );
    }
  }

  /** The headers to add before the response starts (the cookie if the session was established or destroyed). */
  responseHeaders(session: Session<object>): SessionResponseHeaders {
    const state = session[SESSION_STATE];
    try {
      // A value set as a property of a new session establishes it: its cookie must go out now.
      syncView(session);
    } catch {
      // Not lost: end() syncs again and fails the request with the same error.
    }
    if (state.destroyed) {
      if (!state.hadCookie) return NO_HEADERS;
      return {
        setCookie: expiredCookieHeader(this.options.cookie, this.#secure(state)),
        cacheControl: NO_CACHE,
      };
    }
    // Established before the key ring first loaded: its cookie is made now (the save made it already,
    // unless the response started before the save).
    if (state.established && state.cookieValue === undefined) {
      state.cookieValue = this.#host.cookieValueFor(state.key);
      if (state.cookieValue === undefined) {
        this.options.logger?.warn(
          'A new session could not get its cookie: the response started before the session was saved, while the key ring was still loading.',
        );
      }
    }
    // A cookie the browser already holds is sent again when rememberFor() changed its lifetime, and a
    // persistent cookie of cookie.maxAge when the session changed or with `rolling` (express-session's
    // behaviour; ASP.NET Core never sends it again).
    const rolled =
      state.lifetimeMs === undefined &&
      this.options.cookie.maxAgeMs !== undefined &&
      (this.options.rolling || state.changed);
    if (
      state.established &&
      state.cookieValue !== undefined &&
      (state.cookieValue !== state.requestCookie || state.lifetimeChanged || rolled)
    ) {
      // The browser's own cookie, sent again, is still percent-encoded as it came; the writer encodes it.
      const value =
        state.cookieValue === state.requestCookie ? decodeCookieValue(state.cookieValue) : state.cookieValue;
      return {
        setCookie: sessionCookieHeader(
          this.options.cookie,
          value,
          this.#secure(state),
          state.lifetimeMs ?? this.options.cookie.maxAgeMs,
          this.options.clock.now(),
        ),
        cacheControl: NO_CACHE,
      };
    }
    return NO_HEADERS;
  }

  #secure(state: SessionState): boolean {
    const { secure } = this.options.cookie;
    if (secure !== 'auto') return secure;
    if (state.request.secure) return true;
    if (!this.#warnedUntrustedProxy && state.request.forwardedProto === 'https') this.#warnUntrustedProxy();
    return false;
  }

  /**
   * Behind a load balancer that terminates HTTPS, a framework not told to trust it reports every request as
   * plain HTTP, and the cookie goes out without Secure. Said once per middleware, not per request.
   */
  #warnUntrustedProxy(): void {
    this.#warnedUntrustedProxy = true;
    this.options.logger?.warn(
      'The session cookie was written without Secure: the framework reports the request as HTTP, but ' +
        'X-Forwarded-Proto says https. If a proxy in front of the app terminates HTTPS, tell the framework to ' +
        "trust it (Express: app.set('trust proxy', 1); Koa: app.proxy = true; Hono: " +
        'session(options, { trustProxy: true }); Fastify: Fastify({ trustProxy: true })), or set cookie.secure ' +
        'to true.',
    );
  }

  /**
   * Ends a request: saves a changed session, removes a destroyed one, or renews the idle timeout of one that
   * was never read. Returns undefined when there is nothing to do (a session read and left unchanged), so
   * the adapter can send the response without waiting a tick. A failed save rejects with a
   * SessionCommitError (the request must fail) unless the onCommitError option takes it.
   */
  end(session: Session<object>): Promise<void> | undefined {
    try {
      syncView(session);
    } catch (error) {
      return Promise.reject(error).then(undefined, this.#endOfRequestFailure);
    }
    const misuse = misuseOf(session);
    const state = session[SESSION_STATE];
    state.ended = true;
    if (misuse === undefined && !state.needsWrite) return undefined;
    return this.#save(session, true, this.#endOfRequestFailure, misuse);
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
  replaced(session: Session<object>, value: unknown, property: string): void {
    const state = session[SESSION_STATE];
    if (value === null || value === undefined) {
      if (!state.destroyed && !this.#ignoredAfterEnd(state, property)) session.destroy();
      return;
    }
    if (isForeignSession(value) || this.#ignoredAfterEnd(state, property)) return;
    const what = typeof value === 'object' ? 'a plain object' : `a ${typeof value}`;
    state.misuse ??= new SessionUsageError(
      `${property} was replaced by ${what}, which is not stored (it would be gone on the next request); ` +
        `leave the session in place and store each value with ${property}.setJson('name', value), or set ` +
        `${property} = null to sign out.`,
    );
  }

  /** A replacement seen as the response goes out, after the save, changes nothing any more: it is logged. */
  #ignoredAfterEnd(state: SessionState, property: string): boolean {
    if (!state.ended) return false;
    this.options.logger?.error(
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
  async endAfterFailure(session: Session<object>): Promise<void> {
    try {
      syncView(session);
      const misuse = misuseOf(session);
      const state = session[SESSION_STATE];
      state.ended = true;
      if (misuse === undefined && !state.needsWrite) return;
      await this.#save(session, true, rejectAsCommitError, misuse);
    } catch (error) {
      const failure = asCommitError(error);
      if (this.options.onCommitError) this.options.onCommitError(failure);
      else this.options.logger?.error(`${failure.message} (after the request itself failed)`);
    }
  }

  /**
   * Saves what went through the session's methods; then, if the app also did something that cannot be
   * stored (`misuse`), fails as a save does (those values are lost), with a message saying what to call.
   */
  #save(
    session: Session<object>,
    endOfRequest: boolean,
    onFailure: (error: unknown) => void,
    misuse: SessionUsageError | undefined,
  ): Promise<void> {
    if (misuse === undefined) return this.#persist(session, endOfRequest, onFailure);
    return this.#persist(session, endOfRequest, rejectAsCommitError)
      .then(() => Promise.reject(misuse))
      .then(undefined, onFailure);
  }

  /**
   * Saves, removes or refreshes the session as its state asks; any failure goes to `onFailure`, which
   * settles the returned promise (rethrowing rejects it). The common write is one cache call and one
   * promise step: the bookkeeping and the failure handling ride on the same `then`.
   */
  #persist(
    session: Session<object>,
    endOfRequest: boolean,
    onFailure: (error: unknown) => void,
  ): Promise<void> {
    const state = session[SESSION_STATE];
    if (!state.destroyed && state.established && state.cookieValue === undefined) {
      // Established before the key ring first loaded: the cookie needs the ring, so the save waits for it.
      return this.#loadRing()
        .then(() => {
          // Loaded: the cookie is made now, or the reason it cannot be (no key may protect) is thrown.
          state.cookieValue = protectSessionKey(this.#protector, state.key);
        })
        .then(() => this.#persist(session, endOfRequest, onFailure), onFailure);
    }
    if (state.destroyed) {
      if (state.destroySaved) return Promise.resolve();
      // The entry, and the one a renewKey() or regenerate() in this request replaced.
      const keys = [state.replacedKey, state.hadCookie ? state.key : undefined];
      return this.#removeEntries(session, keys).then(undefined, onFailure);
    }
    if (state.modified) {
      let blob: Buffer;
      try {
        blob = serializeSession(session.snapshot());
      } catch (error) {
        return Promise.reject(error).then(undefined, onFailure);
      }
      const key = state.key;
      // After a new key (renewKey, regenerate) the key is new to the cache: nothing to merge with.
      if (this.options.merge && state.replacedKey === undefined)
        return this.#mergeCommit(session, blob).then(undefined, onFailure);
      const entryOptions = this.#entryOptionsFor(state);
      return this.#io('commit', () => this.options.cache.set(key, blob, entryOptions)).then(
        () =>
          state.replacedKey === undefined
            ? session.markSaved()
            : this.#removeEntries(session, [state.replacedKey]).then(undefined, onFailure),
        onFailure,
      );
    }
    // A load already renewed the idle timeout (a cache get slides); only an unread session needs a refresh.
    if (endOfRequest && state.hadCookie && !state.loaded) {
      const key = state.key;
      return this.#io('refresh', () => this.options.cache.refresh(key)).then(undefined, onFailure);
    }
    return Promise.resolve();
  }

  /**
   * The merge mode's save: writes only over the bytes the session was loaded from. When another request
   * saved first, reads what it saved, applies this request's changes to it again and tries again, after a
   * short random pause that grows with each try (so that requests racing on one session spread out).
   */
  async #mergeCommit(session: Session<object>, first: Buffer): Promise<void> {
    const state = session[SESSION_STATE];
    const cache = this.options.cache as DistributedCache & ConditionalSet;
    const key = state.key;
    let blob = first;
    for (let attempt = 1; ; attempt++) {
      const expected = state.stored;
      const entryOptions = this.#entryOptionsFor(state);
      if (await this.#io('commit', () => cache.setIfUnchanged(key, blob, expected, entryOptions))) {
        state.stored = blob;
        session.markSaved();
        return;
      }
      if (attempt === MERGE_ATTEMPTS) {
        throw new SessionCommitError(
          `The session changed under this request ${MERGE_ATTEMPTS} times in a row (other requests of the same session kept saving first); its changes were not saved.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
      const fresh = await this.#io('commit', () => cache.get(key));
      const read = fresh === undefined ? undefined : deserializeSession(fresh);
      // Unreadable data is overwritten, as a load would: the changes apply to an empty session.
      session.rebase(typeof read === 'string' ? undefined : read);
      state.stored = fresh;
      blob = serializeSession(session.snapshot());
    }
  }

  /**
   * A session remembered with rememberFor() lives at least as long as its cookie without use; the cache
   * slides each entry by the window it was saved with, so reads and refreshes keep it too.
   */
  #entryOptionsFor(state: SessionState): CacheEntryOptions {
    const { lifetimeMs } = state;
    if (lifetimeMs === undefined || lifetimeMs <= this.options.idleTimeoutMs) return this.#entryOptions;
    return { slidingExpiration: lifetimeMs };
  }

  /**
   * Removes entries the request's cookie may still name (destroy(), or the old key after renewKey() or regenerate()) and
   * forgets that cookie.
   */
  async #removeEntries(session: Session<object>, keys: (string | undefined)[]): Promise<void> {
    this.#forgetCookie(session[SESSION_STATE].requestCookie);
    await Promise.all(
      keys
        .filter((key): key is string => key !== undefined)
        .map((key) => this.#io('remove', () => this.options.cache.remove(key))),
    );
    session.markSaved();
  }

  /** The cookie this request came with no longer names a live session (destroyed or regenerated). */
  #forgetCookie(cookie: string | undefined): void {
    if (cookie !== undefined) this.#cookieKeys.delete(cookie);
  }

  /**
   * Reads the session from the cache, bounded by ioTimeout, and resolves with it, or hands it to `receiver`
   * (beginThen) and resolves with nothing. Never rejects: a failed or late read leaves the session
   * unavailable for this request (a late answer is ignored).
   */
  #load(
    session: Session<object>,
    receiver: SessionReceiver | undefined,
  ): Promise<Session<object> | undefined> {
    const key = session[SESSION_STATE].key;
    return this.#io('load', () => this.options.cache.get(key)).then(
      (blob) => {
        try {
          this.#apply(session, blob);
        } catch (error) {
          this.#unavailable(session, error);
        }
        return receiver === undefined ? session : deliver(session, receiver);
      },
      (error: unknown) => {
        if (error instanceof CacheEntryConflictError) this.#restart(session, error);
        else this.#unavailable(session, error);
        return receiver === undefined ? session : deliver(session, receiver);
      },
    );
  }

  /**
   * The cookie's key holds something this middleware did not write: every request with that cookie would
   * fail the same way. The session starts empty under a new key (its cookie replaces the old one once a
   * value is set); the foreign entry is not touched.
   */
  #restart(session: Session<object>, error: CacheEntryConflictError): void {
    const state = session[SESSION_STATE];
    this.options.logger?.error(`${error.message} Starting a new session under a new key.`);
    this.#forgetCookie(state.requestCookie);
    state.key = randomUUID();
    state.cookieValue = undefined;
    state.established = false;
    session.applyLoaded(undefined, true);
  }

  #unavailable(session: Session<object>, error: unknown): void {
    this.#throttledLog.log(
      'warn',
      'read',
      `Session cache read exception; the session is unavailable for this request: ${(error as Error).message}`,
    );
    session[SESSION_STATE].unavailableCause = error;
    session.applyLoaded(undefined, false);
  }

  #apply(session: Session<object>, blob: Uint8Array | undefined): void {
    if (this.options.merge) session[SESSION_STATE].stored = blob;
    if (blob === undefined) {
      this.options.logger?.debug('Accessing an expired session; starting it empty under the same key.');
      session.applyLoaded(undefined, true);
      return;
    }
    const read = deserializeSession(blob);
    if (typeof read === 'string') {
      // Unreadable data cannot be recovered; start empty and overwrite it on commit.
      this.#throttledLog.log(
        'warn',
        'unreadable',
        `The stored session could not be read (${read}); starting it empty.`,
      );
      session.applyLoaded(undefined, true);
      session[SESSION_STATE].modified = true;
      return;
    }
    session.applyLoaded(read, true);
  }

  /**
   * Bounds one cache call by ioTimeout. The call gets no AbortSignal: one shared watchdog is far cheaper per
   * request, and a late answer is simply ignored.
   */
  #io<T>(what: string, call: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      // A cache that throws instead of rejecting fails this call (a save fails the request, a load leaves
      // the session unavailable), not the adapter.
      return Promise.reject(error);
    }
    const deadlines = this.#deadlines;
    if (deadlines === undefined) return pending;
    return new Promise<T>((resolve, reject) => {
      const stop = deadlines.watch(() =>
        reject(
          // The store did not answer within the bound: an outage as far as this request can tell.
          new CacheUnavailableError(
            `Timed out after ${deadlines.timeoutMs} ms (ioTimeout) in session ${what}.`,
          ),
        ),
      );
      pending.then(
        (value) => {
          stop();
          resolve(value);
        },
        (error: unknown) => {
          stop();
          reject(error);
        },
      );
    });
  }
}
