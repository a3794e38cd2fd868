import { randomBytes } from 'node:crypto';
import type { SessionChange } from './session-changes.ts';
import { SessionTooLargeError, SessionValueFormatError } from './session-errors.ts';
import { LIFETIME_KEY } from './session-lifetime.ts';
import type { SessionSnapshot } from './session-serialization.ts';
import { USER_KEY } from './user-binding.ts';
import { readUtf8 } from './utf8-text.ts';

/** Bytes a key/value pair adds to the serialized blob. */
const entryCost = (key: string, value: Uint8Array) =>
  2 + Buffer.byteLength(key, 'utf8') + 4 + value.byteLength;
const HEADER_COST = 20;

/** The middleware's own entries (rememberFor's lifetime, signIn's user): not the app's values. */
const RESERVED_KEYS = [LIFETIME_KEY, USER_KEY] as const;
export const isReservedKey = (key: string) => key === LIFETIME_KEY || key === USER_KEY;

/**
 * The values of one session and what they add up to: the entries, the id kept inside the stored session,
 * the size the stored blob will have (checked against maxSessionSize on every write), and, in the merge
 * mode, the log of this request's changes that a conflicting save replays. No policy: whether a change is
 * allowed now is the Session's to decide.
 */
export class SessionContents {
  readonly #maxSize: number;
  /** Created on first write; a loaded session takes the map the cache's blob was read into. */
  #entries: Map<string, Uint8Array> | undefined;
  #idBytes: Uint8Array | undefined;
  #size = HEADER_COST;
  /** The changes since the last save, in the merge mode only (undefined otherwise). */
  #changes: SessionChange[] | undefined;

  constructor(maxSize: number, logChanges: boolean) {
    this.#maxSize = maxSize;
    if (logChanges) this.#changes = [];
  }

  /** The 16-byte id, made on first use. */
  idBytes(): Uint8Array {
    this.#idBytes ??= randomBytes(16);
    return this.#idBytes;
  }

  /** A new id is made on next use (express-session's regenerate gives a new one). */
  forgetId(): void {
    this.#idBytes = undefined;
  }

  /** The app's keys: the middleware's own entries (isReservedKey) are not among them. */
  keys(): string[] {
    const entries = this.#entries;
    if (entries === undefined) return [];
    // Array.from, not a spread: an array literal's allocation site can be moved to the old generation by V8.
    const keys = Array.from(entries.keys());
    return reservedIn(entries) > 0 ? keys.filter((key) => !isReservedKey(key)) : keys;
  }

  /** A stored value without a copy, the middleware's own entries included. */
  peek(key: string): Uint8Array | undefined {
    return this.#entries?.get(key);
  }

  /** Stores `value` (owned from now on); throws SessionTooLargeError, changing nothing, past the limit. */
  write(key: string, value: Uint8Array): void {
    this.#entries ??= new Map();
    const entries = this.#entries;
    const previous = entries.get(key);
    const size = this.#size - (previous ? entryCost(key, previous) : 0) + entryCost(key, value);
    if (size > this.#maxSize) {
      throw new SessionTooLargeError(
        `Setting '${key}' would make the session ${size} bytes, over maxSessionSize (${this.#maxSize}); keep large data elsewhere and its id in the session.`,
      );
    }
    entries.set(key, value);
    this.#size = size;
    this.#changes?.push({ kind: 'set', key, value });
  }

  /** Removes a value; false when there was none. */
  delete(key: string): boolean {
    const previous = this.#entries?.get(key);
    if (previous === undefined) return false;
    this.#entries!.delete(key);
    this.#size -= entryCost(key, previous);
    this.#changes?.push({ kind: 'remove', key });
    return true;
  }

  /** Removes every value but the middleware's own (lifetime, user); false when there was none. */
  clear(): boolean {
    const entries = this.#entries;
    if (entries === undefined || entries.size === reservedIn(entries)) return false;
    this.#clearKeepingReserved(entries);
    this.#changes?.push({ kind: 'clear' });
    return true;
  }

  /** Removes every value, the middleware's own too (destroy()). */
  clearAll(): void {
    this.#entries?.clear();
    this.#size = HEADER_COST;
  }

  #clearKeepingReserved(entries: Map<string, Uint8Array>): void {
    const kept = RESERVED_KEYS.map((key) => [key, entries.get(key)] as const);
    entries.clear();
    this.#size = HEADER_COST;
    for (const [key, value] of kept) {
      if (value === undefined) continue;
      entries.set(key, value);
      this.#size += entryCost(key, value);
    }
  }

  /**
   * Runs `change` (a set or remove made by session.update()) with the log paused, then logs `update` as the
   * one change: a conflicting save runs the function again on the value it finds then.
   */
  logUpdate(key: string, update: (current: unknown) => unknown, change: () => void): void {
    const changes = this.#changes;
    this.#changes = undefined;
    try {
      change();
    } finally {
      this.#changes = changes;
    }
    changes?.push({ kind: 'update', key, update });
  }

  /** What to store. */
  snapshot(): SessionSnapshot {
    return { id: this.idBytes(), entries: this.#entries ?? new Map() };
  }

  /** Takes what the cache returned (the map is owned from now on). */
  apply(snapshot: SessionSnapshot): void {
    this.#entries = snapshot.entries;
    this.#idBytes = snapshot.id;
    this.#size = sizeOf(snapshot.entries);
  }

  /**
   * The merge mode's conflict: another request saved `snapshot` first. The contents become that (its id,
   * its entries), with this request's changes applied to it again, in order.
   */
  rebase(snapshot: SessionSnapshot | undefined): void {
    const changes = this.#changes ?? [];
    this.#changes = undefined;
    try {
      const entries = new Map(snapshot?.entries ?? []);
      this.#entries = entries;
      if (snapshot) this.#idBytes = snapshot.id;
      this.#size = sizeOf(entries);
      for (const change of changes) this.#replay(entries, change);
    } finally {
      this.#changes = changes;
    }
  }

  #replay(entries: Map<string, Uint8Array>, change: SessionChange): void {
    switch (change.kind) {
      case 'set':
        this.write(change.key, change.value);
        return;
      case 'remove':
        this.delete(change.key);
        return;
      case 'clear':
        this.#clearKeepingReserved(entries);
        return;
      case 'update': {
        const next = change.update(this.readJson(change.key));
        if (next === undefined) this.delete(change.key);
        else this.write(change.key, Buffer.from(JSON.stringify(next), 'utf8'));
        return;
      }
    }
  }

  /** A stored JSON value; SessionValueFormatError when the value is not JSON. */
  readJson(key: string): unknown {
    const value = isReservedKey(key) ? undefined : this.#entries?.get(key);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(readUtf8(value));
    } catch (error) {
      // Returning undefined would let `(getJson(key) ?? 0) + 1` overwrite a value another writer stored
      // in another format (ASP.NET Core's SetInt32, say).
      throw new SessionValueFormatError(
        `The session value '${key}' is not JSON (it was not written by setJson; read it with get, getString or getInt32).`,
        { cause: error },
      );
    }
  }

  /** After a successful save: the log starts over. */
  saved(): void {
    if (this.#changes !== undefined) this.#changes.length = 0;
  }
}

/** How many of the middleware's own entries `entries` holds. */
const reservedIn = (entries: Map<string, Uint8Array>) => {
  let count = 0;
  for (const key of RESERVED_KEYS) if (entries.has(key)) count++;
  return count;
};

function sizeOf(entries: Map<string, Uint8Array>): number {
  let size = HEADER_COST;
  for (const [key, value] of entries) size += entryCost(key, value);
  return size;
}
