import { randomBytes } from 'node:crypto';
import { bytesToGuid } from '@sharedstate/dataprotection-core';
import { SessionStateError, SessionTooLargeError, SessionUnavailableError } from './session-errors.ts';
import type { SessionSnapshot } from './session-serialization.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the Session needs from the request flow that created it. */
export interface SessionHost {
  /** Reads the session from the cache (lazy mode, or an explicit load()). */
  load(session: Session<object>): Promise<void>;
  /** Saves now what end-of-request would save. */
  commit(session: Session<object>): Promise<void>;
  /** A new random session key. */
  newKey(): string;
  /** The protected cookie value for a key (synchronous: made when the session is established). */
  cookieValueFor(key: string): string;
  /** True once the response headers went out: a new session can no longer send its cookie. */
  responseStarted(): boolean;
  readonly maxSessionSize: number;
}

/** Bytes a key/value pair adds to the serialized blob. */
const entryCost = (key: string, value: Uint8Array) =>
  2 + Buffer.byteLength(key, 'utf8') + 4 + value.byteLength;
const HEADER_COST = 20;

/**
 * One user's session for one request: ASP.NET Core's ISession with TypeScript types. `TData` describes the
 * JSON values the app keeps (`getJson`/`setJson`), without declaration merging.
 */
export class Session<TData extends object = Record<string, unknown>> {
  #key: string;
  /** Made only when the session is established: most requests without a cookie never need one. */
  #cookieValue: string | undefined;
  /** The key the request came with, when regenerate() replaced it; its entry is removed on commit. */
  #replacedKey: string | undefined;
  readonly #hadCookie: boolean;
  readonly #host: SessionHost;
  #entries = new Map<string, Uint8Array>();
  #idBytes: Uint8Array | undefined;
  #size = HEADER_COST;
  #loaded: boolean;
  #available = true;
  #modified = false;
  #established: boolean;
  #destroyed = false;
  #destroySaved = false;
  #loading: Promise<void> | undefined;
  /** @internal the request this session belongs to, and the cookie value it arrived with */
  requestInfo: { secure: boolean; cookie: string | undefined } = { secure: false, cookie: undefined };

  /** @internal created by the session middleware */
  constructor(host: SessionHost, key: string, cookieValue: string | undefined, hadCookie: boolean) {
    this.#host = host;
    this.#key = key;
    this.#cookieValue = cookieValue;
    this.#hadCookie = hadCookie;
    // A brand-new session has nothing to load; an existing one is loaded by the middleware or load().
    this.#loaded = !hadCookie;
    this.#established = hadCookie;
  }

  /** The session's id (kept inside the stored session, as ASP.NET Core's ISession.Id); '' when unavailable. */
  get id(): string {
    this.#requireLoaded();
    if (!this.#available) return '';
    this.#idBytes ??= randomBytes(16);
    return bytesToGuid(this.#idBytes);
  }

  /** False when the cache could not be read: reads return nothing and writes throw SessionUnavailableError. */
  get isAvailable(): boolean {
    return this.#available;
  }

  /** True for a session this request started (no valid cookie came with it). */
  get isNew(): boolean {
    return !this.#hadCookie;
  }

  get isLoaded(): boolean {
    return this.#loaded;
  }

  keys(): string[] {
    this.#requireLoaded();
    return [...this.#entries.keys()];
  }

  get(key: string): Uint8Array | undefined {
    this.#requireLoaded();
    const value = this.#entries.get(key);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  set(key: string, value: Uint8Array): void {
    this.#requireLoaded();
    if (typeof key !== 'string') throw new TypeError('A session key must be a string.');
    if (!(value instanceof Uint8Array))
      throw new TypeError('A session value must be a Uint8Array (or use setString/setJson).');
    if (!this.#available) {
      throw new SessionUnavailableError(
        'The session store could not be reached when this request loaded the session; the change cannot be saved.',
      );
    }
    if (this.#destroyed) throw new SessionStateError('This session was destroyed in this request.');
    this.#establish();
    const previous = this.#entries.get(key);
    const size = this.#size - (previous ? entryCost(key, previous) : 0) + entryCost(key, value);
    if (size > this.#host.maxSessionSize) {
      throw new SessionTooLargeError(
        `Setting '${key}' would make the session ${size} bytes, over maxSessionSize (${this.#host.maxSessionSize}); keep large data elsewhere and its id in the session.`,
      );
    }
    this.#entries.set(key, new Uint8Array(value));
    this.#size = size;
    this.#modified = true;
  }

  remove(key: string): void {
    this.#requireLoaded();
    const previous = this.#entries.get(key);
    if (previous === undefined) return;
    this.#entries.delete(key);
    this.#size -= entryCost(key, previous);
    this.#modified = true;
  }

  clear(): void {
    this.#requireLoaded();
    if (this.#entries.size === 0) return;
    this.#entries.clear();
    this.#size = HEADER_COST;
    this.#modified = true;
  }

  getString(key: string): string | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : decoder.decode(value);
  }

  setString(key: string, value: string): void {
    this.set(key, encoder.encode(value));
  }

  /** A 32-bit integer stored big-endian, as ASP.NET Core's SetInt32; undefined when missing or shorter than 4 bytes. */
  getInt32(key: string): number | undefined {
    const value = this.get(key);
    if (value === undefined || value.length < 4) return undefined;
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).readInt32BE(0);
  }

  setInt32(key: string, value: number): void {
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
      throw new RangeError(`setInt32 takes a 32-bit integer; got ${value}.`);
    }
    const bytes = Buffer.alloc(4);
    bytes.writeInt32BE(value);
    this.set(key, bytes);
  }

  getJson<K extends keyof TData & string>(key: K): TData[K] | undefined {
    const text = this.getString(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as TData[K];
    } catch {
      return undefined;
    }
  }

  setJson<K extends keyof TData & string>(key: K, value: TData[K]): void {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`The value for '${key}' cannot be represented as JSON.`);
    this.setString(key, text);
  }

  /** Loads the session from the cache if it is not loaded yet (needed first with load: 'lazy'). */
  load(): Promise<void> {
    if (this.#loaded) return Promise.resolve();
    this.#loading ??= this.#host.load(this as Session<object>);
    return this.#loading;
  }

  /** Saves the session now instead of at the end of the request. */
  commit(): Promise<void> {
    return this.#host.commit(this as Session<object>);
  }

  /**
   * Moves the session to a new key (and cookie), keeping its data, and removes the old entry: call after
   * sign-in, so a session id planted before sign-in is worthless (session fixation).
   */
  async regenerate(): Promise<void> {
    this.#requireLoaded();
    if (this.#host.responseStarted()) {
      throw new SessionStateError('The session cannot be regenerated after the response has started.');
    }
    const key = this.#host.newKey();
    if (this.#hadCookie && this.#replacedKey === undefined) this.#replacedKey = this.#key;
    this.#key = key;
    this.#cookieValue = this.#host.cookieValueFor(key);
    this.#established = true;
    this.#modified = true;
  }

  /** Ends the session: its data is removed from the cache and the cookie deleted. */
  destroy(): void {
    this.#destroyed = true;
    this.#entries.clear();
    this.#size = HEADER_COST;
    this.#loaded = true;
  }

  #establish(): void {
    if (this.#established) return;
    // The cookie goes out with the response headers; once they left, a new session cannot reach the browser.
    if (this.#host.responseStarted()) {
      throw new SessionStateError('The session cannot be established after the response has started.');
    }
    this.#cookieValue ??= this.#host.cookieValueFor(this.#key);
    this.#established = true;
  }

  #requireLoaded(): void {
    if (!this.#loaded) {
      throw new SessionStateError(
        "The session is not loaded yet: call `await session.load()` first (the middleware uses load: 'lazy').",
      );
    }
  }

  // ---- state for the middleware (not part of the app-facing API) ----

  /** @internal */
  get state() {
    return {
      key: this.#key,
      cookieValue: this.#cookieValue,
      replacedKey: this.#replacedKey,
      hadCookie: this.#hadCookie,
      modified: this.#modified,
      established: this.#established,
      destroyed: this.#destroyed,
      destroySaved: this.#destroySaved,
      loaded: this.#loaded,
    };
  }

  /** @internal the snapshot to store */
  snapshot(): SessionSnapshot {
    this.#idBytes ??= randomBytes(16);
    return { id: this.#idBytes, entries: this.#entries };
  }

  /** @internal fills the session with what the cache returned */
  applyLoaded(
    snapshot: SessionSnapshot | undefined,
    options: { modified: boolean; available: boolean },
  ): void {
    this.#loaded = true;
    this.#available = options.available;
    if (snapshot) {
      this.#entries = snapshot.entries;
      this.#idBytes = snapshot.id;
      this.#size = HEADER_COST;
      for (const [key, value] of snapshot.entries) this.#size += entryCost(key, value);
    }
    if (options.modified) this.#modified = true;
  }

  /** @internal after a successful save */
  markSaved(): void {
    this.#modified = false;
    this.#replacedKey = undefined;
    if (this.#destroyed) this.#destroySaved = true;
  }
}
