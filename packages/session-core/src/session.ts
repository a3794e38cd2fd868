import { bytesToGuid, type Duration } from '@sharedstate/shared-helpers';
import { FOR_LIBRARIES, refuseMembersOfOtherLibraries } from './foreign-session-members.ts';
import {
  availableState,
  changeableState,
  loadedState,
  refuseAfterEnd,
  refuseArguments,
} from './session-access.ts';
import { isReservedKey } from './session-contents.ts';
import { SessionStateError, SessionUsageError } from './session-errors.ts';
import type { SessionHost } from './session-host.ts';
import { regenerateKey, renewKey, signIn, signOut } from './session-key-changes.ts';
import { LIFETIME_KEY, parseLifetime } from './session-lifetime.ts';
import type { SessionState } from './session-state.ts';
import { checkDevice, checkUserId } from './user-binding.ts';
import { readUtf8 } from './utf8-text.ts';

/**
 * One user's session for one request: ASP.NET Core's ISession with TypeScript types. `TData` describes the
 * JSON values the app keeps (`getJson`/`setJson`), without declaration merging.
 */
export class Session<TData extends object = Record<string, unknown>> {
  readonly #host: SessionHost;
  readonly #state: SessionState;
  #loading: Promise<unknown> | undefined;

  /** @internal Made by the session middleware over each request's SessionState; apps do not construct sessions. */
  constructor(host: SessionHost, state: SessionState) {
    this.#host = host;
    this.#state = state;
  }

  /** The session's id (kept inside the stored session, as ASP.NET Core's ISession.Id); '' when unavailable. */
  get id(): string {
    const state = loadedState(this.#state);
    if (!state.available) return '';
    return bytesToGuid(state.contents.idBytes());
  }

  /**
   * False when the cache or the key ring could not be reached when the request began: reads return nothing
   * and writes throw SessionUnavailableError.
   */
  get isAvailable(): boolean {
    return this.#state.available;
  }

  /** True for a session this request started (no valid cookie came with it). */
  get isNew(): boolean {
    return !this.#state.hadCookie;
  }

  get isLoaded(): boolean {
    return this.#state.loaded;
  }

  keys(): string[] {
    return loadedState(this.#state).contents.keys();
  }

  get(key: string): Uint8Array | undefined {
    const value = this.#peek(key);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  set(key: string, value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) {
      // @fastify/session's set(key, value) takes any value: the likeliest reason to get here.
      throw new SessionUsageError(
        `session.set('${key}', …) stores bytes (a Uint8Array), as ASP.NET Core's ISession.Set; got ` +
          `${value === null ? 'null' : typeof value}. Store text with setString('${key}', value) and other ` +
          `values with setJson('${key}', value). ${FOR_LIBRARIES}.`,
      );
    }
    // A copy: the caller may reuse its array.
    this.#store(key, new Uint8Array(value));
  }

  /** Stores bytes the session owns from now on (no copy). */
  #store(key: string, value: Uint8Array): void {
    refuseAfterEnd(this.#host, this.#state, `set '${key}'`);
    if (typeof key !== 'string') throw new TypeError('A session key must be a string.');
    if (isReservedKey(key)) {
      throw new SessionUsageError(
        `'${key}' is where the session middleware keeps its own data (rememberFor's lifetime, signIn's user); store the value under another name.`,
      );
    }
    const state = changeableState(this.#host, this.#state);
    state.contents.write(key, value);
    state.touched();
  }

  remove(key: string): void {
    refuseAfterEnd(this.#host, this.#state, `remove '${key}'`);
    const state = loadedState(this.#state);
    if (!isReservedKey(key) && state.contents.delete(key)) state.touched();
  }

  /** Removes every value; a lifetime from rememberFor() is kept (destroy() ends the session). */
  clear(): void {
    refuseAfterEnd(this.#host, this.#state, 'clear');
    const state = loadedState(this.#state);
    if (state.contents.clear()) state.touched();
  }

  /**
   * "Remember me": keeps this session for `lifetime` (such as '30d'), where sessions are otherwise kept for
   * the middleware's idleTimeout and cookie.maxAge. The cookie is sent again in this response, persistent
   * for `lifetime`; the stored session lives at least that long without use, on every instance and across
   * later saves. Once more than half the lifetime has passed, the next request sends the cookie again with
   * its full lifetime, so a user who keeps coming back stays signed in. `false` goes back to the
   * middleware's settings. Call it at sign-in, after renewKey() or regenerate(), while the response has not
   * started.
   */
  rememberFor(lifetime: Duration | false): void {
    refuseAfterEnd(this.#host, this.#state, 'rememberFor');
    const lifetimeMs = lifetime === false ? undefined : parseLifetime(lifetime);
    const state = loadedState(this.#state);
    if (lifetimeMs === undefined && state.lifetimeMs === undefined) return;
    if (state.request.responseStarted()) {
      throw new SessionStateError(
        "The session's lifetime cannot change after the response has started: its cookie goes out with the headers.",
      );
    }
    if (lifetimeMs === undefined) {
      if (state.contents.delete(LIFETIME_KEY)) state.touched();
      state.cookieSentAtMs = undefined;
    } else {
      changeableState(this.#host, this.#state).stampLifetime(lifetimeMs);
    }
    state.lifetimeMs = lifetimeMs;
    state.lifetimeChanged = true;
    // The user's index says how long the session can live.
    if (state.binding !== undefined) state.indexStale = true;
  }

  /** The lifetime rememberFor() gave this session, in milliseconds; undefined for the middleware's settings. */
  get rememberedForMs(): number | undefined {
    return loadedState(this.#state).lifetimeMs;
  }

  getString(key: string): string | undefined {
    const value = this.#peek(key);
    return value === undefined ? undefined : readUtf8(value);
  }

  setString(key: string, value: string): void {
    // Buffer.from takes small strings from Node's pool: cheaper than a new ArrayBuffer per value. The bytes
    // never leave the session uncopied (get() copies), so sharing the pool's memory exposes nothing.
    this.#store(key, Buffer.from(value, 'utf8'));
  }

  /** A 32-bit integer stored big-endian, as ASP.NET Core's SetInt32; undefined when missing or shorter than 4 bytes. */
  getInt32(key: string): number | undefined {
    const value = this.#peek(key);
    if (value === undefined || value.length < 4) return undefined;
    return (value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]! | 0;
  }

  setInt32(key: string, value: number): void {
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
      throw new RangeError(`setInt32 takes a 32-bit integer; got ${value}.`);
    }
    this.#store(key, Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff));
  }

  getJson<K extends keyof TData & string>(key: K): TData[K] | undefined {
    return loadedState(this.#state).contents.readJson(key) as TData[K] | undefined;
  }

  setJson<K extends keyof TData & string>(key: K, value: TData[K]): void {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`The value for '${key}' cannot be represented as JSON.`);
    this.setString(key, text);
  }

  /**
   * Reads a JSON value, computes its next value with `fn` (undefined removes it) and stores it: the way to
   * change a value from what it was (a counter, a list). With `concurrentUpdates: 'merge'`, if another
   * request saved the session first, `fn` runs again on the value that request saved, so no change is lost
   * (`fn` may run more than once: keep it free of other effects). Returns the value stored.
   */
  update<K extends keyof TData & string>(
    key: K,
    fn: (current: TData[K] | undefined) => TData[K] | undefined,
  ): TData[K] | undefined {
    const next = fn(this.getJson(key));
    this.#state.contents.logUpdate(key, fn as (current: unknown) => unknown, () => {
      if (next === undefined) this.remove(key);
      else this.setJson(key, next);
    });
    return next;
  }

  /** Loads the session from the cache if it is not loaded yet (needed first with load: 'lazy'). */
  load(): Promise<void> {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('load', arguments.length, 'use `await session.load()`');
    return this.#load();
  }

  async #load(): Promise<void> {
    if (this.#state.loaded) return;
    this.#loading ??= this.#host.load(this.#state);
    await this.#loading;
  }

  /** Saves the session now instead of at the end of the request. */
  commit(): Promise<void> {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('commit', arguments.length, 'use `await session.commit()`');
    return this.#host.commit(this.#state);
  }

  /**
   * Moves the session to a new key (and cookie), keeping its values and `id`, and removes the old entry:
   * call at sign-in, so a session key planted before sign-in is worthless (session fixation). The cart a
   * visitor filled before signing in stays.
   */
  renewKey(): Promise<void> {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('renewKey', arguments.length, 'use `await session.renewKey()`, then answer');
    return renewKey(this.#host, this.#state, 'renewKey');
  }

  /** The user signIn() bound this session to; undefined for a session nobody signed in to. */
  get userId(): string | undefined {
    const state = loadedState(this.#state);
    return state.destroyed ? undefined : state.binding?.userId;
  }

  /**
   * This session's handle in its user's list (listSessions, endSession); undefined unless signed in. It
   * names the session, and lets nobody use it.
   */
  get handle(): string | undefined {
    const state = loadedState(this.#state);
    return state.destroyed ? undefined : state.binding?.handle;
  }

  /**
   * Signs `userId` in on this session: it moves to a new key and cookie (session fixation), keeping its
   * values, and joins the user's list of sessions, which listSessions() shows and endSession() or
   * endUserSessions() end on every instance. `device` is a label shown in that list (such as 'Firefox on
   * Linux'). A session signed in to another user leaves that user's list first. Call before answering.
   */
  async signIn(userId: string, options?: { device?: string }): Promise<void> {
    refuseAfterEnd(this.#host, this.#state, 'signIn');
    checkUserId(userId, 'signIn()');
    await signIn(this.#host, this.#state, userId, checkDevice(options?.device));
  }

  /**
   * Signs the user out of this session (only): it leaves the user's list and moves to a new key and cookie;
   * its values stay (destroy() or regenerate() drops them too). Nothing to do for a session nobody signed
   * in to.
   */
  signOut(): Promise<void> {
    return signOut(this.#host, this.#state);
  }

  /**
   * express-session's regenerate: a new, empty session in this one's place (new key, cookie and `id`; its
   * old entry removed), at sign-in or sign-out. A lifetime from rememberFor() is kept; a user signed in
   * with signIn() is signed out. To keep the values, use renewKey().
   */
  regenerate(): Promise<void> {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('regenerate', arguments.length, 'use `await session.regenerate()`, then answer');
    return this.#regenerate();
  }

  async #regenerate(): Promise<void> {
    await regenerateKey(this.#host, this.#state);
    this.clear();
    this.#state.contents.forgetId();
  }

  /** Ends the session: its data is removed from the cache and the cookie deleted. */
  destroy(): void {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('destroy', arguments.length, 'call `session.destroy()`, then answer');
    refuseAfterEnd(this.#host, this.#state, 'destroy');
    const state = this.#state;
    // Ending a session that could not be read would also delete a cookie that may still be valid.
    if (state.loaded && !state.available) availableState(this.#state);
    state.destroyed = true;
    state.loaded = true;
    state.lifetimeMs = undefined;
    state.cookieSentAtMs = undefined;
    state.contents.clearAll();
  }

  /** A stored value without a copy, for the typed getters that only read it. */
  #peek(key: string): Uint8Array | undefined {
    const state = loadedState(this.#state);
    return isReservedKey(key) ? undefined : state.contents.peek(key);
  }
}

refuseMembersOfOtherLibraries(Session.prototype);
