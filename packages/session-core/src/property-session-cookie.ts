import type { Session } from './session.ts';
import { SessionUsageError } from './session-errors.ts';

const FIXED = ['path', 'domain', 'secure', 'httpOnly', 'sameSite', 'partitioned', 'priority'] as const;

/**
 * `req.session.cookie` of express-session's session object, for the one use that is per session: "remember
 * me" (`cookie.maxAge = 30 days`, or `cookie.expires = false` to forget), which maps to the session's
 * rememberFor(). The other attributes are the middleware's cookie options, the same for every session.
 */
export class PropertySessionCookie {
  readonly #session: Session<object>;

  constructor(session: Session<object>) {
    this.#session = session;
  }

  /** The lifetime rememberFor() gave the session, in milliseconds; null for the middleware's settings. */
  get maxAge(): number | null {
    return this.#session.rememberedForMs ?? null;
  }

  /** express-session's name for the lifetime the cookie was given: the same as maxAge here. */
  get originalMaxAge(): number | null {
    return this.maxAge;
  }

  set originalMaxAge(_value: number | null) {
    throw new SessionUsageError(
      'session.cookie.originalMaxAge follows maxAge here: set session.cookie.maxAge.',
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
    else this.#rememberFor(value.getTime() - Date.now());
  }

  #rememberFor(ms: number): void {
    if (ms <= 0) this.#session.destroy();
    else this.#session.rememberFor(ms);
  }

  /** When a remembered session's cookie would expire if set now; null for the middleware's settings. */
  get expires(): Date | null {
    const ms = this.#session.rememberedForMs;
    return ms === undefined ? null : new Date(Date.now() + ms);
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
