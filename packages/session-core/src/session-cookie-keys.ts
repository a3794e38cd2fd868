import type { DataProtectionProvider, DataProtector } from '@sharedstate/dataprotection-abstractions';
import {
  type CookieUnprotectOutcome,
  cookieUnprotectChannel,
  cookieUnprotectOutcomeOf,
  RepositoryUnavailableError,
} from '@sharedstate/dataprotection-abstractions';
import type { LogThrottle } from '@sharedstate/shared-helpers';
import type { KeyRingGate } from './key-ring-gate.ts';
import {
  protectingKeyId,
  protectSessionKey,
  SESSION_PURPOSE,
  unprotectSessionKey,
} from './session-key-protection.ts';
import { UnprotectedCookieCache } from './unprotected-cookie-cache.ts';

/**
 * Between session keys and the cookie values that carry them: the session purpose's protector, and the
 * cookies unprotected lately (a returning visitor's cookie is unprotected once a minute, not per request).
 */
export class SessionCookieKeys {
  readonly #protector: DataProtector;
  readonly #ring: KeyRingGate;
  readonly #log: LogThrottle;
  readonly #recent = new UnprotectedCookieCache();

  constructor(dataProtection: DataProtectionProvider, ring: KeyRingGate, log: LogThrottle) {
    this.#protector = dataProtection.createProtector(SESSION_PURPOSE);
    this.#ring = ring;
    this.#log = log;
    // A key revoked anywhere (another instance, an operator's tool, ASP.NET Core) is refused from the next
    // request after the ring's reload, not once the remembered cookie's minute is over. A provider without
    // the hook (a custom one) still works; a revocation then takes up to that minute.
    const provider: Partial<Pick<DataProtectionProvider, 'onKeyRingLoaded'>> = dataProtection;
    provider.onKeyRingLoaded?.((canUnprotectWith) =>
      this.#recent.forgetKeysWhere((keyId) => !canUnprotectWith(keyId)),
    );
  }

  /** The session key of a cookie unprotected lately; undefined for one not seen in the last minute. */
  recent(cookie: string): string | undefined {
    const key = this.#recent.get(cookie);
    if (key !== undefined) publishUnprotect('ok', undefined, true);
    return key;
  }

  /**
   * The session key the cookie carries (remembered for next time), or undefined when it carries none: a
   * tampered or foreign cookie, or one protected with a key this ring lacks, starts a new session, never an
   * error page. Rejects with RepositoryUnavailableError when the cookie names a key the ring in memory lacks
   * and the repository could not be asked for it. Either way the reason is logged.
   */
  async unprotect(cookie: string): Promise<string | undefined> {
    try {
      const key = await unprotectSessionKey(this.#protector, cookie);
      if (key !== undefined) {
        this.#recent.set(cookie, key, protectingKeyId(cookie));
        publishUnprotect('ok', undefined, false);
        return key;
      }
      publishUnprotect('tampered', undefined, false);
      this.#log.log(
        'warn',
        'no-key',
        'The session cookie does not hold a session key; starting a new session.',
      );
    } catch (error) {
      publishUnprotect(cookieUnprotectOutcomeOf(error), error, false);
      if (error instanceof RepositoryUnavailableError) {
        this.#log.log(
          'warn',
          'ring-reread',
          `The session cookie could not be checked (the key ring could not be re-read); the session is unavailable for this request: ${error.message}`,
        );
        throw error;
      }
      this.#log.log(
        'warn',
        'unprotect',
        `Error unprotecting the session cookie; starting a new session: ${(error as Error).message}`,
      );
    }
    return undefined;
  }

  /** The cookie value for a session key; undefined before the ring's first load (made at the save then). */
  cookieValueFor(key: string): string | undefined {
    try {
      return protectSessionKey(this.#protector, key);
    } catch (error) {
      if (this.#ring.ready) throw error;
      return undefined;
    }
  }

  /** The cookie value once the ring is loaded, or the reason it cannot be made (no key may protect). */
  cookieValueOnceLoaded(key: string): Promise<string> {
    return this.#ring.load().then(() => protectSessionKey(this.#protector, key));
  }

  /** Forgets a cookie whose session ended, so it is unprotected (and found gone) if it comes back. */
  forget(cookie: string | undefined): void {
    if (cookie !== undefined) this.#recent.delete(cookie);
  }
}

function publishUnprotect(outcome: CookieUnprotectOutcome, error: unknown, cached: boolean): void {
  if (!cookieUnprotectChannel.hasSubscribers) return;
  cookieUnprotectChannel.publish(
    error === undefined
      ? { cookie: 'session', outcome, cached }
      : { cookie: 'session', outcome, cached, error },
  );
}
