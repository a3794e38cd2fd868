import { randomBytes } from 'node:crypto';
import { bytesToGuid, type Clock, type Duration } from '@sharedstate/shared-helpers';
import { FOR_LIBRARIES, refuseMembersOfOtherLibraries } from './other-library-habits.ts';
import type { SessionChange } from './session-changes.ts';
import {
  SessionStateError,
  SessionTooLargeError,
  SessionUnavailableError,
  SessionUsageError,
  SessionValueFormatError,
} from './session-errors.ts';
import {
  cookieRenewalDue,
  decodeLifetime,
  encodeLifetime,
  LIFETIME_KEY,
  parseLifetime,
  type StoredLifetime,
} from './session-lifetime.ts';
import type { SessionRequest } from './session-request.ts';
import type { SessionSnapshot } from './session-serialization.ts';
import { SESSION_STATE, SessionState } from './session-state.ts';
import { readUtf8 } from './utf8-text.ts';

/** What the Session needs from the handler that created it (one per handler, shared by its sessions). */
export interface SessionHost {
  /** Reads the session from the cache (lazy mode, or an explicit load()); never rejects (unavailable instead). */
  load(session: Session<object>): Promise<unknown>;
  /** Saves now what end-of-request would save. */
  commit(session: Session<object>): Promise<void>;
  /** A new random session key. */
  newKey(): string;
  /** The protected cookie value for a key (synchronous: made when the session is established). */
  /** The cookie value for a session key; undefined while the key ring is not loaded yet (made at the save). */
  cookieValueFor(key: string): string | undefined;
  readonly maxSessionSize: number;
  /** The middleware's clock (SessionOptions.clock). */
  readonly clock: Clock;
  /** concurrentUpdates is 'merge': sessions keep the log of their changes, replayed if a commit conflicts. */
  readonly mergeUpdates: boolean;
  /** Reports a change refused because the request had ended (logged: it may reach no handler of the app). */
  changedAfterEnd(error: SessionStateError): void;
}

/** Bytes a key/value pair adds to the serialized blob. */
const entryCost = (key: string, value: Uint8Array) =>
  2 + Buffer.byteLength(key, 'utf8') + 4 + value.byteLength;
const HEADER_COST = 20;

/**
 * express-session's regenerate, destroy and save take a callback that ends the request; these methods never
 * call one, so a callback passed out of habit would leave the request hanging. A synchronous throw reaches
 * the framework's error handling (a rejection nobody awaits would not).
 */
function refuseArguments(method: string, given: number, instead: string): void {
  if (given !== 0) {
    throw new SessionUsageError(
      `session.${method}() takes no arguments and calls no callback: ${instead}. ${FOR_LIBRARIES}.`,
    );
  }
}

/**
 * One user's session for one request: ASP.NET Core's ISession with TypeScript types. `TData` describes the
 * JSON values the app keeps (`getJson`/`setJson`), without declaration merging.
 */
export class Session<TData extends object = Record<string, unknown>> {
  /** @internal the middleware's view of this session */
  readonly [SESSION_STATE]: SessionState;
  readonly #host: SessionHost;
  /** Created on first write; a loaded session takes the map the cache's blob was read into. */
  #entries: Map<string, Uint8Array> | undefined;
  #idBytes: Uint8Array | undefined;
  #size = HEADER_COST;
  #loading: Promise<unknown> | undefined;
  /** The changes of this request since the last save, in the merge mode only (undefined otherwise). */
  #changes: SessionChange[] | undefined;

  /** Made by the session middleware for each request; apps do not construct sessions. */
  constructor(
    host: SessionHost,
    request: SessionRequest,
    key: string,
    requestCookie: string | undefined,
    hadCookie: boolean,
  ) {
    this.#host = host;
    this[SESSION_STATE] = new SessionState(request, key, requestCookie, hadCookie, host.clock);
    if (host.mergeUpdates) this.#changes = [];
  }

  /** The session's id (kept inside the stored session, as ASP.NET Core's ISession.Id); '' when unavailable. */
  get id(): string {
    const state = this.#loadedState();
    if (!state.available) return '';
    this.#idBytes ??= randomBytes(16);
    return bytesToGuid(this.#idBytes);
  }

  /**
   * False when the cache or the key ring could not be reached when the request began: reads return nothing
   * and writes throw SessionUnavailableError.
   */
  get isAvailable(): boolean {
    return this[SESSION_STATE].available;
  }

  /** True for a session this request started (no valid cookie came with it). */
  get isNew(): boolean {
    return !this[SESSION_STATE].hadCookie;
  }

  get isLoaded(): boolean {
    return this[SESSION_STATE].loaded;
  }

  keys(): string[] {
    this.#loadedState();
    const entries = this.#entries;
    if (entries === undefined) return [];
    const keys = [...entries.keys()];
    return entries.has(LIFETIME_KEY) ? keys.filter((key) => key !== LIFETIME_KEY) : keys;
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
    this.#refuseAfterEnd(`set '${key}'`);
    if (typeof key !== 'string') throw new TypeError('A session key must be a string.');
    if (key === LIFETIME_KEY) {
      throw new SessionUsageError(
        `'${LIFETIME_KEY}' is where session.rememberFor() keeps the session's lifetime; store the value under another name.`,
      );
    }
    this.#write(key, value);
  }

  #write(key: string, value: Uint8Array): void {
    const state = this.#availableState();
    if (state.destroyed) throw new SessionStateError('This session was destroyed in this request.');
    this.#establish(state);
    this.#entries ??= new Map();
    const entries = this.#entries;
    const previous = entries.get(key);
    const size = this.#size - (previous ? entryCost(key, previous) : 0) + entryCost(key, value);
    if (size > this.#host.maxSessionSize) {
      throw new SessionTooLargeError(
        `Setting '${key}' would make the session ${size} bytes, over maxSessionSize (${this.#host.maxSessionSize}); keep large data elsewhere and its id in the session.`,
      );
    }
    entries.set(key, value);
    this.#size = size;
    state.modified = true;
    state.changed = true;
    this.#changes?.push({ kind: 'set', key, value });
  }

  remove(key: string): void {
    this.#refuseAfterEnd(`remove '${key}'`);
    const state = this.#loadedState();
    if (key !== LIFETIME_KEY) this.#delete(state, key);
  }

  #delete(state: SessionState, key: string): void {
    const previous = this.#entries?.get(key);
    if (previous === undefined) return;
    this.#entries!.delete(key);
    this.#size -= entryCost(key, previous);
    state.modified = true;
    state.changed = true;
    this.#changes?.push({ kind: 'remove', key });
  }

  /** Removes every value; a lifetime from rememberFor() is kept (destroy() ends the session). */
  clear(): void {
    this.#refuseAfterEnd('clear');
    const state = this.#loadedState();
    const entries = this.#entries;
    const lifetime = entries?.get(LIFETIME_KEY);
    if (entries === undefined || entries.size === (lifetime === undefined ? 0 : 1)) return;
    this.#clearKeepingLifetime(entries);
    state.modified = true;
    state.changed = true;
    this.#changes?.push({ kind: 'clear' });
  }

  #clearKeepingLifetime(entries: Map<string, Uint8Array>): void {
    const lifetime = entries.get(LIFETIME_KEY);
    entries.clear();
    this.#size = HEADER_COST;
    if (lifetime !== undefined) {
      entries.set(LIFETIME_KEY, lifetime);
      this.#size += entryCost(LIFETIME_KEY, lifetime);
    }
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
    this.#refuseAfterEnd('rememberFor');
    const lifetimeMs = lifetime === false ? undefined : parseLifetime(lifetime);
    const state = this.#loadedState();
    if (lifetimeMs === undefined && state.lifetimeMs === undefined) return;
    if (state.request.responseStarted()) {
      throw new SessionStateError(
        "The session's lifetime cannot change after the response has started: its cookie goes out with the headers.",
      );
    }
    if (lifetimeMs === undefined) {
      this.#delete(state, LIFETIME_KEY);
      state.cookieSentAtMs = undefined;
    } else {
      this.#stampLifetime(state, lifetimeMs);
    }
    state.lifetimeMs = lifetimeMs;
    state.lifetimeChanged = true;
  }

  /** The lifetime rememberFor() gave this session, in milliseconds; undefined for the middleware's settings. */
  get rememberedForMs(): number | undefined {
    return this.#loadedState().lifetimeMs;
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
    const text = this.getString(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as TData[K];
    } catch (error) {
      // Returning undefined would let `(getJson(key) ?? 0) + 1` overwrite a value another writer stored
      // in another format (ASP.NET Core's SetInt32, say).
      throw new SessionValueFormatError(
        `The session value '${key}' is not JSON (it was not written by setJson; read it with get, getString or getInt32).`,
        { cause: error },
      );
    }
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
    const changes = this.#changes;
    // One change for the log: the function, not the set or remove it made this time.
    this.#changes = undefined;
    try {
      if (next === undefined) this.remove(key);
      else this.setJson(key, next);
    } finally {
      this.#changes = changes;
    }
    changes?.push({ kind: 'update', key, update: fn as (current: unknown) => unknown });
    return next;
  }

  /** Loads the session from the cache if it is not loaded yet (needed first with load: 'lazy'). */
  load(): Promise<void> {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('load', arguments.length, 'use `await session.load()`');
    return this.#load();
  }

  async #load(): Promise<void> {
    if (this[SESSION_STATE].loaded) return;
    this.#loading ??= this.#host.load(this as Session<object>);
    await this.#loading;
  }

  /** Saves the session now instead of at the end of the request. */
  commit(): Promise<void> {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('commit', arguments.length, 'use `await session.commit()`');
    return this.#host.commit(this as Session<object>);
  }

  /**
   * Moves the session to a new key (and cookie), keeping its values and `id`, and removes the old entry:
   * call at sign-in, so a session key planted before sign-in is worthless (session fixation). The cart a
   * visitor filled before signing in stays.
   */
  renewKey(): Promise<void> {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('renewKey', arguments.length, 'use `await session.renewKey()`, then answer');
    return this.#renewKey('renewKey');
  }

  /**
   * express-session's regenerate: a new, empty session in this one's place (new key, cookie and `id`; its
   * old entry removed), at sign-in or sign-out. A lifetime from rememberFor() is kept. To keep the values,
   * use renewKey().
   */
  regenerate(): Promise<void> {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('regenerate', arguments.length, 'use `await session.regenerate()`, then answer');
    return this.#renewKey('regenerate').then(() => {
      this.clear();
      this.#idBytes = undefined;
    });
  }

  async #renewKey(method: string): Promise<void> {
    this.#refuseAfterEnd(method);
    const state = this.#availableState();
    if (state.request.responseStarted()) {
      throw new SessionStateError(
        `session.${method}() cannot run after the response has started: the new cookie goes out with the headers.`,
      );
    }
    const key = this.#host.newKey();
    if (state.hadCookie && state.replacedKey === undefined) state.replacedKey = state.key;
    state.key = key;
    state.cookieValue = this.#host.cookieValueFor(key);
    state.established = true;
    state.modified = true;
    state.changed = true;
    // A remembered session's new cookie goes out with its full lifetime (see SessionHandler.responseHeaders).
    if (state.lifetimeMs !== undefined) this.#stampLifetime(state, state.lifetimeMs);
  }

  /** Ends the session: its data is removed from the cache and the cookie deleted. */
  destroy(): void {
    // biome-ignore lint/complexity/noArguments: a callback is refused, so it is not declared
    refuseArguments('destroy', arguments.length, 'call `session.destroy()`, then answer');
    this.#refuseAfterEnd('destroy');
    const state = this[SESSION_STATE];
    // Ending a session that could not be read would also delete a cookie that may still be valid.
    if (state.loaded && !state.available) this.#availableState();
    state.destroyed = true;
    state.loaded = true;
    state.lifetimeMs = undefined;
    state.cookieSentAtMs = undefined;
    this.#entries?.clear();
    this.#size = HEADER_COST;
  }

  /** A stored value without a copy, for the typed getters that only read it. */
  #peek(key: string): Uint8Array | undefined {
    this.#loadedState();
    return key === LIFETIME_KEY ? undefined : this.#entries?.get(key);
  }

  #establish(state: SessionState): void {
    if (state.established) return;
    // The cookie goes out with the response headers; once they left, a new session cannot reach the browser.
    if (state.request.responseStarted()) {
      throw new SessionStateError('The session cannot be established after the response has started.');
    }
    state.cookieValue ??= this.#host.cookieValueFor(state.key);
    state.established = true;
  }

  /**
   * A change once the response was sent and the request's end saved the session would be lost without a
   * word, on a new session and an existing one alike: it is refused, and reported to the handler's logger
   * too, since the code that made it (a promise the route did not await) may have no one to catch the error.
   */
  #refuseAfterEnd(change: string): void {
    const state = this[SESSION_STATE];
    // A streamed body may still change the session and commit() it.
    if (!state.ended || state.request.responseFinished?.() === false) return;
    const error = new SessionStateError(
      `session.${change} came after the request ended and its session was saved: the change would be lost. ` +
        'Await the work that changes the session before sending the response (is an `await` missing?).',
    );
    this.#host.changedAfterEnd(error);
    throw error;
  }

  /** The state of a session that can be changed: loaded, and read from a reachable store. */
  #availableState(): SessionState {
    const state = this.#loadedState();
    if (!state.available) {
      const cause = state.unavailableCause;
      const why = cause instanceof Error ? ` (${cause.message})` : '';
      throw new SessionUnavailableError(
        `The session store or the key ring could not be reached when this request began${why}; the change cannot be saved.`,
        cause === undefined ? undefined : { cause },
      );
    }
    return state;
  }

  #loadedState(): SessionState {
    const state = this[SESSION_STATE];
    if (!state.loaded) {
      throw new SessionStateError(
        "The session is not loaded yet: call `await session.load()` first (the middleware uses load: 'lazy').",
      );
    }
    return state;
  }

  // ---- for the middleware (not part of the app-facing API) ----

  /** @internal the snapshot to store */
  snapshot(): SessionSnapshot {
    this.#idBytes ??= randomBytes(16);
    return { id: this.#idBytes, entries: this.#entries ?? new Map() };
  }

  /** @internal fills the session with what the cache returned */
  applyLoaded(snapshot: SessionSnapshot | undefined, available: boolean): void {
    const state = this[SESSION_STATE];
    state.loaded = true;
    state.available = available;
    if (snapshot) {
      this.#entries = snapshot.entries;
      this.#idBytes = snapshot.id;
      let size = HEADER_COST;
      for (const [key, value] of snapshot.entries) size += entryCost(key, value);
      this.#size = size;
      const stored = decodeLifetime(snapshot.entries.get(LIFETIME_KEY));
      if (stored !== undefined) this.#applyLifetime(state, stored, available);
    }
  }

  /** A remembered session in use keeps its cookie: sent again, with its full lifetime, past half of it. */
  #applyLifetime(state: SessionState, stored: StoredLifetime, available: boolean): void {
    state.lifetimeMs = stored.lifetimeMs;
    state.cookieSentAtMs = stored.cookieSentAtMs;
    const now = state.clock.now();
    if (available && cookieRenewalDue(stored, now) && !state.request.responseStarted()) {
      this.#stampLifetime(state, stored.lifetimeMs);
      state.lifetimeChanged = true;
    }
  }

  /** Stores the lifetime with the time its cookie goes out (now), which cookie.maxAge counts down from. */
  #stampLifetime(state: SessionState, lifetimeMs: number): void {
    const now = state.clock.now();
    this.#write(LIFETIME_KEY, encodeLifetime(lifetimeMs, now));
    state.cookieSentAtMs = now;
  }

  /**
   * @internal the merge mode's conflict: another request saved `snapshot` first. The session becomes that
   * (its id, its entries), with this request's changes applied to it again, in order.
   */
  rebase(snapshot: SessionSnapshot | undefined): void {
    const state = this[SESSION_STATE];
    const changes = this.#changes ?? [];
    this.#changes = undefined;
    try {
      this.#entries = new Map(snapshot?.entries ?? []);
      if (snapshot) this.#idBytes = snapshot.id;
      let size = HEADER_COST;
      for (const [key, value] of this.#entries) size += entryCost(key, value);
      this.#size = size;
      for (const change of changes) this.#replay(state, change);
      const stored = decodeLifetime(this.#entries.get(LIFETIME_KEY));
      state.lifetimeMs = stored?.lifetimeMs;
      state.cookieSentAtMs = stored?.cookieSentAtMs;
    } finally {
      this.#changes = changes;
    }
  }

  #replay(state: SessionState, change: SessionChange): void {
    switch (change.kind) {
      case 'set':
        this.#write(change.key, change.value);
        return;
      case 'remove':
        this.#delete(state, change.key);
        return;
      case 'clear':
        this.#clearKeepingLifetime(this.#entries!);
        return;
      case 'update': {
        const next = change.update(this.getJson(change.key as keyof TData & string));
        if (next === undefined) this.#delete(state, change.key);
        else this.#write(change.key, Buffer.from(JSON.stringify(next), 'utf8'));
        return;
      }
    }
  }

  /** @internal after a successful save */
  markSaved(): void {
    const state = this[SESSION_STATE];
    state.modified = false;
    if (this.#changes !== undefined) this.#changes.length = 0;
    state.replacedKey = undefined;
    if (state.destroyed) state.destroySaved = true;
  }
}

refuseMembersOfOtherLibraries(Session.prototype);
