import { randomUUID } from 'node:crypto';
import { OperationDeadlines } from '@sharedstate/caching-abstractions';
import type { DataProtector } from '@sharedstate/dataprotection-core';
import { Session, type SessionHost } from './session.ts';
import {
  expiredCookieHeader,
  protectSessionKey,
  readCookie,
  SESSION_PURPOSE,
  sessionCookieHeader,
  unprotectSessionKey,
} from './session-cookie.ts';
import { SessionCommitError, SessionError } from './session-errors.ts';
import {
  type ResolvedSessionOptions,
  resolveSessionOptions,
  type SessionOptions,
} from './session-options.ts';
import { deserializeSession, serializeSession } from './session-serialization.ts';
import { UnprotectedCookieCache } from './unprotected-cookie-cache.ts';

/** What an adapter tells the handler about the request. */
export interface SessionRequest {
  /** The raw Cookie header. */
  cookieHeader: string | undefined;
  /** Whether the request arrived over HTTPS, as the framework reports it (honouring its trust-proxy setting). */
  secure: boolean;
  /** Whether the response headers were already sent. */
  responseStarted(): boolean;
}

/** Headers an adapter adds to the response: set when the session cookie is written or deleted. */
export interface SessionResponseHeaders {
  setCookie: string | undefined;
  /** ASP.NET Core marks responses that set the session cookie as not cacheable. */
  cacheControl: Record<string, string>;
}

const NO_HEADERS: SessionResponseHeaders = { setCookie: undefined, cacheControl: {} };
const NO_CACHE = { 'Cache-Control': 'no-cache,no-store', Pragma: 'no-cache', Expires: '-1' };

/**
 * The whole session policy, shared by every framework adapter: reading and validating the cookie, loading,
 * committing or refreshing, the cookie to write, and what happens on failure. Adapters only translate.
 */
export class SessionHandler {
  readonly options: ResolvedSessionOptions;
  readonly #protector: DataProtector;
  /** Per session: the request it belongs to and the cookie value it arrived with (parsed once). */
  readonly #cookieKeys = new UnprotectedCookieCache();
  readonly #deadlines: OperationDeadlines | undefined;
  #ringLoaded: Promise<void> | undefined;

  constructor(options: SessionOptions) {
    this.options = resolveSessionOptions(options);
    this.#protector = this.options.dataProtection.createProtector(SESSION_PURPOSE);
    this.#deadlines =
      this.options.ioTimeoutMs === undefined ? undefined : new OperationDeadlines(this.options.ioTimeoutMs);
  }

  /** Starts a request: finds the session the cookie names, or starts a new one (no I/O for a new one). */
  async begin(request: SessionRequest): Promise<Session> {
    const cookie = readCookie(request.cookieHeader, this.options.cookie.name);
    let key: string | undefined;
    if (cookie !== undefined) {
      try {
        key = this.#cookieKeys.get(cookie);
        if (key === undefined) {
          key = await unprotectSessionKey(this.#protector, cookie);
          if (key === undefined)
            this.options.logger?.warn(
              'The session cookie does not hold a session key; starting a new session.',
            );
          else this.#cookieKeys.set(cookie, key);
        }
      } catch (error) {
        // Tampered, foreign, or protected with a key this ring lacks: a fresh session, never an error page.
        this.options.logger?.warn(
          `Error unprotecting the session cookie; starting a new session: ${(error as Error).message}`,
        );
      }
    }
    const host = this.#host(request);
    let session: Session;
    if (key !== undefined) {
      session = new Session(host, key, cookie!, true);
    } else {
      // The cookie value is made only if the handler establishes the session (ASP.NET Core makes it up
      // front, a key derivation and an encryption on every cookieless request). It is made synchronously,
      // so the key ring must be loaded first; that happens once per process.
      // A failed load is not remembered: the next request tries again.
      this.#ringLoaded ??= this.options.dataProtection.initialize().catch((error: unknown) => {
        this.#ringLoaded = undefined;
        throw error;
      });
      await this.#ringLoaded;
      session = new Session(host, host.newKey(), undefined, false);
    }
    // Kept on the session rather than in a WeakMap: short-lived WeakMap keys cost the GC at high request rates.
    session.requestInfo = { secure: request.secure, cookie };
    if (key !== undefined && this.options.load === 'eager') await session.load();
    return session;
  }

  /** The headers to add before the response starts (the cookie if the session was established or destroyed). */
  responseHeaders(session: Session<object>): SessionResponseHeaders {
    const state = session.state;
    const { secure: requestSecure, cookie } = session.requestInfo;
    const secure = this.options.cookie.secure === 'auto' ? requestSecure : this.options.cookie.secure;
    if (state.destroyed) {
      return state.hadCookie
        ? { setCookie: expiredCookieHeader(this.options.cookie, secure), cacheControl: NO_CACHE }
        : NO_HEADERS;
    }
    // A cookie the browser already holds is not sent again (ASP.NET Core does not slide the cookie).
    if (
      state.established &&
      state.cookieValue !== undefined &&
      (!state.hadCookie || state.cookieValue !== cookie)
    ) {
      return {
        setCookie: sessionCookieHeader(this.options.cookie, state.cookieValue, secure),
        cacheControl: NO_CACHE,
      };
    }
    return NO_HEADERS;
  }

  /**
   * Ends a request: saves a changed session, removes a destroyed one, or renews the idle timeout of one that
   * was never read. A failed save is a SessionCommitError: thrown (the request must fail) unless the
   * onCommitError option takes it.
   */
  async end(session: Session<object>): Promise<void> {
    try {
      await this.#persist(session, true);
    } catch (error) {
      const failure =
        error instanceof SessionCommitError
          ? error
          : new SessionCommitError(`The session could not be saved: ${(error as Error).message}`, {
              cause: error,
            });
      if (this.options.onCommitError) this.options.onCommitError(failure);
      else throw failure;
    }
  }

  async #persist(session: Session<object>, endOfRequest: boolean): Promise<void> {
    const state = session.state;
    const { cache } = this.options;
    if (state.destroyed) {
      if (state.destroySaved) return;
      this.#forgetCookie(session);
      const keys = [state.replacedKey, state.hadCookie ? state.key : undefined].filter(
        (k): k is string => k !== undefined,
      );
      await Promise.all(keys.map((key) => this.#io('remove', () => cache.remove(key))));
      session.markSaved();
      return;
    }
    if (state.modified) {
      const blob = serializeSession(session.snapshot());
      await this.#io('commit', () =>
        cache.set(state.key, blob, { slidingExpiration: this.options.idleTimeoutMs }),
      );
      const replaced = state.replacedKey;
      if (replaced !== undefined) {
        this.#forgetCookie(session);
        await this.#io('remove', () => cache.remove(replaced));
      }
      session.markSaved();
      return;
    }
    // A load already renewed the idle timeout (a cache get slides); only an unread session needs a refresh.
    if (endOfRequest && state.hadCookie && !state.loaded) {
      await this.#io('refresh', () => cache.refresh(state.key));
    }
  }

  /** The cookie this request came with no longer names a live session (destroyed or regenerated). */
  #forgetCookie(session: Session<object>): void {
    const cookie = session.requestInfo.cookie;
    if (cookie !== undefined) this.#cookieKeys.delete(cookie);
  }

  async #load(session: Session<object>): Promise<void> {
    const { key } = session.state;
    let blob: Uint8Array | undefined;
    try {
      blob = await this.#io('load', () => this.options.cache.get(key));
    } catch (error) {
      this.options.logger?.warn(
        `Session cache read exception; the session is unavailable for this request: ${(error as Error).message}`,
      );
      session.applyLoaded(undefined, { modified: false, available: false });
      return;
    }
    if (blob === undefined) {
      this.options.logger?.debug('Accessing an expired session; starting it empty under the same key.');
      session.applyLoaded(undefined, { modified: false, available: true });
      return;
    }
    const read = deserializeSession(blob);
    if (typeof read === 'string') {
      // Unreadable data cannot be recovered; start empty and overwrite it on commit.
      this.options.logger?.warn(`The stored session could not be read (${read}); starting it empty.`);
      session.applyLoaded(undefined, { modified: true, available: true });
      return;
    }
    session.applyLoaded(read, { modified: false, available: true });
  }

  /**
   * Bounds one cache call by ioTimeout. The call gets no AbortSignal: one shared watchdog is far cheaper per
   * request, and a late answer is simply ignored.
   */
  #io<T>(what: string, call: () => Promise<T>): Promise<T> {
    const deadlines = this.#deadlines;
    if (deadlines === undefined) return call();
    return new Promise<T>((resolve, reject) => {
      const stop = deadlines.watch(() =>
        reject(new SessionError(`Timed out after ${deadlines.timeoutMs} ms (ioTimeout) in session ${what}.`)),
      );
      call().then(
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

  #host(request: SessionRequest): SessionHost {
    return {
      load: (session) => this.#load(session),
      commit: async (session) => {
        try {
          await this.#persist(session, false);
        } catch (error) {
          throw new SessionCommitError(`The session could not be saved: ${(error as Error).message}`, {
            cause: error,
          });
        }
      },
      newKey: () => randomUUID(),
      cookieValueFor: (key) => protectSessionKey(this.#protector, key),
      responseStarted: () => request.responseStarted(),
      maxSessionSize: this.options.maxSessionSize,
    };
  }
}
