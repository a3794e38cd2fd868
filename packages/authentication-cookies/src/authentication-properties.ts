import type { AuthenticationItems } from './claims.ts';
import { formatHttpDate, parseHttpDate } from './http-date.ts';

const ISSUED = '.issued';
const EXPIRES = '.expires';
const PERSISTENT = '.persistent';
const REFRESH = '.refresh';
const REDIRECT = '.redirect';
const TOKEN_NAMES = '.TokenNames';
const TOKEN_PREFIX = '.Token.';

/** A token kept in the ticket (AuthenticationToken: an OAuth access token, a refresh token). */
export interface AuthenticationToken {
  name: string;
  value: string;
}

/**
 * AuthenticationProperties: the ticket's items (`.issued`, `.expires`, `.persistent`, `.redirect`, saved
 * tokens, the app's own), with .NET's typed accessors over them.
 *
 * The items keep the order a .NET Dictionary gives them, because the ticket is written in that order: an
 * item set after one was removed takes the removed one's place (the most recently removed first), so
 * the bytes match what ASP.NET Core writes for the same steps.
 */
export class AuthenticationProperties {
  /** Slots in .NET's order; undefined where an item was removed and nothing took its place yet. */
  readonly #slots: ([key: string, value: string] | undefined)[] = [];
  readonly #slotOf = new Map<string, number>();
  /** Removed slots, the most recent last (reused first). */
  readonly #free: number[] = [];

  constructor(items: Iterable<readonly [string, string]> | Readonly<Record<string, string>> = []) {
    const pairs = Symbol.iterator in items ? items : Object.entries(items);
    for (const [key, value] of pairs as Iterable<readonly [string, string]>) this.set(key, value);
  }

  /** An item's value, or undefined when the ticket has none. */
  get(key: string): string | undefined {
    const slot = this.#slotOf.get(key);
    return slot === undefined ? undefined : this.#slots[slot]![1];
  }

  /** Sets an item (in place when it is there); undefined removes it, as .NET's SetString(key, null). */
  set(key: string, value: string | undefined): this {
    if (typeof key !== 'string') throw new TypeError('An authentication property key must be a string.');
    if (value === undefined) {
      this.delete(key);
      return this;
    }
    if (typeof value !== 'string') {
      throw new TypeError(`The authentication property '${key}' must be a string; got ${typeof value}.`);
    }
    const existing = this.#slotOf.get(key);
    if (existing !== undefined) {
      this.#slots[existing] = [key, value];
      return this;
    }
    const slot = this.#free.pop() ?? this.#slots.length;
    this.#slots[slot] = [key, value];
    this.#slotOf.set(key, slot);
    return this;
  }

  delete(key: string): boolean {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return false;
    this.#slots[slot] = undefined;
    this.#slotOf.delete(key);
    this.#free.push(slot);
    return true;
  }

  /** The items in the order the ticket holds them. */
  items(): AuthenticationItems {
    const items: AuthenticationItems = [];
    for (const slot of this.#slots) if (slot !== undefined) items.push([slot[0], slot[1]]);
    return items;
  }

  /** When the ticket was issued (`.issued`), to the second. */
  get issuedUtc(): Date | undefined {
    return this.#date(ISSUED);
  }
  set issuedUtc(value: Date | undefined) {
    this.set(ISSUED, value === undefined ? undefined : formatHttpDate(value));
  }

  /** When the ticket expires (`.expires`), to the second: an expired ticket is not a sign-in. */
  get expiresUtc(): Date | undefined {
    return this.#date(EXPIRES);
  }
  set expiresUtc(value: Date | undefined) {
    this.set(EXPIRES, value === undefined ? undefined : formatHttpDate(value));
  }

  /** A persistent sign-in ("remember me"): the cookie outlives the browser session. */
  get isPersistent(): boolean {
    return this.get(PERSISTENT) !== undefined;
  }
  set isPersistent(value: boolean) {
    this.set(PERSISTENT, value ? '' : undefined);
  }

  /** Whether sliding expiration may renew this ticket (`.refresh`); undefined leaves it to the options. */
  get allowRefresh(): boolean | undefined {
    // bool.TryParse: "True" or "False" in any case, with white space around.
    const text = this.get(REFRESH)?.trim().toLowerCase();
    return text === 'true' ? true : text === 'false' ? false : undefined;
  }
  set allowRefresh(value: boolean | undefined) {
    this.set(REFRESH, value === undefined ? undefined : value ? 'True' : 'False');
  }

  /** Where to go after signing in or out (`.redirect`). */
  get redirectUri(): string | undefined {
    return this.get(REDIRECT);
  }
  set redirectUri(value: string | undefined) {
    this.set(REDIRECT, value);
  }

  /** The tokens saved in the ticket (SaveTokens in an OpenID Connect or OAuth sign-in), in order. */
  getTokens(): AuthenticationToken[] {
    const names = this.get(TOKEN_NAMES);
    if (names === undefined) return [];
    const tokens: AuthenticationToken[] = [];
    for (const name of names.split(';')) {
      const value = this.get(TOKEN_PREFIX + name);
      if (value) tokens.push({ name, value });
    }
    return tokens;
  }

  getTokenValue(name: string): string | undefined {
    return this.get(TOKEN_PREFIX + name);
  }

  /** Replaces the saved tokens, as .NET's StoreTokens: the old ones removed, then each new one and the list. */
  storeTokens(tokens: readonly AuthenticationToken[]): void {
    for (const { name } of this.getTokens()) this.delete(TOKEN_PREFIX + name);
    this.delete(TOKEN_NAMES);
    for (const { name, value } of tokens) this.set(TOKEN_PREFIX + name, value);
    if (tokens.length > 0) this.set(TOKEN_NAMES, tokens.map((token) => token.name).join(';'));
  }

  #date(key: string): Date | undefined {
    const text = this.get(key);
    return text === undefined ? undefined : parseHttpDate(text);
  }
}
