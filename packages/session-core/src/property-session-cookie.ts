import type { Session } from './session.ts';
import { SessionUsageError } from './session-errors.ts';
import type { SessionState } from './session-state.ts';

const FIXED = ['path', 'domain', 'secure', 'httpOnly', 'sameSite', 'partitioned', 'priority'] as const;

/**
 * `req.session.cookie` of express-session's session object, for the one use that is per session: "remember
 * me" (`cookie.maxAge = 30 days`, or `cookie.expires = false` to forget), which maps to the session's
 * rememberFor(). The other attributes are the middleware's cookie options, the same for every session.
 */
export class PropertySessionCookie {
  readonly #state: SessionState;
  readonly #session: Session<object>;

  constructor(state: SessionState) {
    this.#state = state;
    this.#session = state.session;
  }

  /**
   * Milliseconds until the remembered session's cookie expires, as express-session reads it (its full lifetime
   * right after rememberFor()); null for the middleware's settings.
   */
  get maxAge(): number | null {
    const expiresAt = this.#expiresAtMs();
    return expiresAt === undefined ? null : Math.max(0, expiresAt - this.#state.clock.now());
  }

  /** The lifetime rememberFor() gave the session, in milliseconds, as express-session's originalMaxAge. */
  get originalMaxAge(): number | null {
    return this.#session.rememberedForMs ?? null;
  }

  set originalMaxAge(_value: number | null) {
    throw new SessionUsageError(
      'session.cookie.originalMaxAge is the lifetime the cookie was given: set session.cookie.maxAge.',
    );
  }

  /**
   * A number of milliseconds remembers the session that long; null forgets (a browser-session cookie); 0 or
   * less, express-session's way to drop the cookie at sign-out, ends the session.
   */
  set maxAge(value: number | null) {
    if (value === null || value === undefined) this.#session.rememberFor(false);
    else if (typeof value !== 'number')
      throw new SessionUsageError(`session.cookie.maxAge takes milliseconds or null; got ${typeof value}.`);
    else this.#rememberFor(value);
  }

  /** A date remembers the session until then (a past one ends it); false or null forgets. */
  set expires(value: Date | false | null) {
    if (value === false || value === null || value === undefined) this.#session.rememberFor(false);
    else if (!(value instanceof Date))
      throw new SessionUsageError('session.cookie.expires takes a Date, false or null.');
    else this.#rememberFor(value.getTime() - this.#state.clock.now());
  }

  #rememberFor(ms: number): void {
    if (ms <= 0) this.#session.destroy();
    else this.#session.rememberFor(ms);
  }

  /** When the remembered session's cookie expires; null for the middleware's settings. */
  get expires(): Date | null {
    const expiresAt = this.#expiresAtMs();
    return expiresAt === undefined ? null : new Date(expiresAt);
  }

  #expiresAtMs(): number | undefined {
    const lifetimeMs = this.#session.rememberedForMs;
    if (lifetimeMs === undefined) return undefined;
    // A stored lifetime that does not say when its cookie was sent (an older stored form): read as sent now.
    const state = this.#state;
    const sentAt = state.cookieSentAtMs ?? state.clock.now();
    return sentAt + lifetimeMs;
  }
}

for (const name of FIXED) {
  Object.defineProperty(PropertySessionCookie.prototype, name, {
    configurable: true,
    enumerable: false,
    get: () => undefined,
    set: () => {
      throw new SessionUsageError(
        `session.cookie.${name} is the same for every session here: set it in the middleware's cookie options.`,
      );
    },
  });
}
