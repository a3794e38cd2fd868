import { KeyRingError } from '@sharedstate/dataprotection-abstractions';
import type { Clock, Logger } from '@sharedstate/shared-helpers';
import { resolveDefaultKey } from './default-key-resolver.ts';
import type { Key } from './key.ts';
import type { KeyManager } from './key-manager.ts';
import { KeyRing } from './key-ring.ts';
import type { InvalidKeyRingElement } from './key-ring-contents.ts';
import { publishKeyRingEvent, publishRevocationsSeen, traceKeyRingLoad } from './key-ring-diagnostics.ts';

const HOUR = 60 * 60 * 1000;
const REFRESH_PERIOD_MS = 24 * HOUR;
/** A default key expiring within this window gets a successor created ahead of time. */
const ROLLOVER_WINDOW_MS = 24 * HOUR + 48 * HOUR;
/** After a failed refresh the old ring is trusted this much longer before trying again. */
const ERROR_RETRY_MS = 2 * 60 * 1000;

export interface KeyRingProviderOptions {
  keyManager: KeyManager;
  clock: Clock;
  logger: Logger;
  keyLifetimeMs: number;
  autoGenerateKeys: boolean;
  /**
   * Least time between two refreshes forced by payloads naming an unknown key. Bounds the repository reads
   * an attacker can cause with made-up key ids, while a key another instance just created is found quickly.
   */
  unknownKeyRefreshIntervalMs: number;
  /**
   * How often to ask the repository whether the stored ring changed (a key created or revoked by another
   * process); undefined turns the check off.
   */
  changeCheckIntervalMs: number | undefined;
  /** For the refresh-period jitter; tests pin it. */
  random?: () => number;
}

/** What protecting with a ring that has no default key fails with. */
export function noDefaultKeyError(repositoryDescription: string, keys: readonly Key[] = []): KeyRingError {
  const suspended = keys.filter((key) => key.mayBeRevoked).length;
  const why =
    suspended > 0
      ? ` ${suspended} key(s) stored before an element the ring cannot read do not protect, since that element may have revoked them: check it (sharedstate-keys list) and remove it (sharedstate-keys remove-invalid), or create a new key.`
      : '';
  return new KeyRingError(
    `The key ring in ${repositoryDescription} does not contain a valid default protection key, and autoGenerateKeys is false, so none can be created.${why} Create a key (sharedstate-keys new, or keyManager.createKey) from the instance that owns the ring, or enable autoGenerateKeys.`,
  );
}

/** The error line for one unreadable element: where it is, what is wrong, what the ring did, how to fix it. */
function invalidElementMessage(element: InvalidKeyRingElement, repositoryDescription: string): string {
  const consequence =
    element.treatedAs === 'unusable key'
      ? 'It is skipped.'
      : element.treatedAs === 'revocation'
        ? `Key {${element.keyId}} is treated as revoked.`
        : 'It may have been a revocation, so keys stored before it still unprotect but no longer protect; a newer key protects instead.';
  return `The key ring in ${repositoryDescription} has an element it cannot read at ${element.location}: ${element.reason} ${consequence} List it with \`sharedstate-keys list\` and remove it with \`sharedstate-keys remove-invalid\`.`;
}

/** Told, after each load, whether payloads protected with a key id still unprotect. */
export type KeyRingListener = (canUnprotectWith: (keyId: string) => boolean) => void;

/**
 * Holds the key ring in memory and keeps it fresh. Protect and unprotect read the in-memory ring without I/O;
 * an expired ring is refreshed in the background while callers keep using it; one refresh is shared by
 * every concurrent caller; a failed refresh keeps the old ring and retries later. Every
 * changeCheckIntervalMs a cheap change check (the repository's change token) finds keys created or revoked
 * by other processes, ASP.NET Core's included, and re-reads the ring only then.
 */
export class KeyRingProvider {
  readonly #options: KeyRingProviderOptions;
  #ring: KeyRing | undefined;
  /** The ring of the last load, kept through invalidate(): a new load reports the revocations it did not hold. */
  #lastLoaded: KeyRing | undefined;
  #refresh: Promise<KeyRing> | undefined;
  #generation = 0;
  #lastForcedRefresh = Number.NEGATIVE_INFINITY;
  /** True while a refresh creates a key: that refresh re-reads the ring itself, so it must not be discarded. */
  #creatingKey = false;
  #changeCheck: NodeJS.Timeout | undefined;
  /** Set once the repository's push (watch) is subscribed. */
  #watching = false;
  /** A push arrived while a refresh ran: check again once it is done. */
  #checkAfterRefresh = false;
  readonly #listeners = new Set<KeyRingListener>();
  #reportedInvalid = new Set<string>();

  constructor(options: KeyRingProviderOptions) {
    this.#options = options;
    options.keyManager.onChange(() => this.invalidate());
  }

  /** Calls `listener` after every load of the ring (see KeyRingListener); returns a function that stops it. */
  onLoad(listener: KeyRingListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Asks the repository whether the stored ring changed since the ring in memory was read, and if so
   * re-reads it (the new ring replaces the old at once, its default key chosen again). Resolves true when it
   * re-read. Runs on its own every changeCheckIntervalMs; a failed check is logged and tried again then.
   */
  async checkForChanges(): Promise<boolean> {
    const ring = this.#ring;
    if (ring === undefined || this.#refresh !== undefined) return false;
    const { keyManager, logger } = this.#options;
    let token: string;
    try {
      token = await keyManager.getChangeToken();
    } catch (error) {
      logger.warn(
        `Checking ${keyManager.repositoryDescription} for key ring changes failed; keeping the ring in memory: ${(error as Error).message}`,
      );
      publishKeyRingEvent({
        kind: 'change-check-failed',
        repository: keyManager.repositoryDescription,
        error,
      });
      return false;
    }
    publishKeyRingEvent({ kind: 'checked', repository: keyManager.repositoryDescription });
    if (token === ring.changeToken || this.#ring !== ring) return false;
    publishKeyRingEvent({ kind: 'change-detected', repository: keyManager.repositoryDescription });
    logger.info(`The key ring in ${keyManager.repositoryDescription} changed; reloading it.`);
    await this.#startRefresh().catch(() => {});
    return true;
  }

  /**
   * Where the repository can push (watch), a change announced by any writer is checked for at once, so a
   * revocation reaches this instance within moments; the periodic check stays for writers that do not
   * announce (ASP.NET Core).
   */
  #watchRepository(): void {
    if (this.#watching || this.#options.changeCheckIntervalMs === undefined) return;
    this.#watching = true;
    this.#options.keyManager.watch(() => {
      if (this.#refresh !== undefined) this.#checkAfterRefresh = true;
      else void this.checkForChanges();
    });
  }

  #scheduleChangeCheck(): void {
    const interval = this.#options.changeCheckIntervalMs;
    if (interval === undefined || this.#changeCheck !== undefined) return;
    this.#changeCheck = setTimeout(() => {
      void this.checkForChanges().finally(() => {
        this.#changeCheck = undefined;
        this.#scheduleChangeCheck();
      });
    }, interval);
    // The check never keeps a process alive.
    this.#changeCheck.unref();
  }

  /** The ring in memory if it is still fresh: the no-I/O fast path. */
  get freshRing(): KeyRing | undefined {
    const ring = this.#ring;
    return ring && this.#options.clock.now() < ring.expiresAt ? ring : undefined;
  }

  /**
   * The ring in memory, fresh or stale (a stale one starts a background refresh), without waiting: for
   * callers that must protect synchronously. Undefined only before the first load.
   */
  get loadedRing(): KeyRing | undefined {
    const ring = this.#ring;
    if (ring && this.#options.clock.now() >= ring.expiresAt) void this.#startRefresh().catch(() => {});
    return ring;
  }

  async getCurrentKeyRing(): Promise<KeyRing> {
    const ring = this.#ring;
    if (ring) {
      if (this.#options.clock.now() >= ring.expiresAt) void this.#startRefresh().catch(() => {});
      return ring;
    }
    return this.#startRefresh();
  }

  /**
   * Called when a payload names a key the ring lacks: another instance may have just created it. Shares
   * the refresh with concurrent callers and forces at most one per unknownKeyRefreshIntervalMs.
   */
  async refreshForUnknownKey(): Promise<KeyRing> {
    if (this.#refresh) return this.#refresh;
    const now = this.#options.clock.now();
    if (this.#ring && now - this.#lastForcedRefresh < this.#options.unknownKeyRefreshIntervalMs)
      return this.#ring;
    this.#lastForcedRefresh = now;
    return this.#startRefresh();
  }

  /** Drops the cached ring (this process created or revoked a key); the next call re-reads it. */
  invalidate(): void {
    if (this.#creatingKey) return;
    this.#ring = undefined;
    this.#generation++;
  }

  #startRefresh(): Promise<KeyRing> {
    if (this.#refresh) return this.#refresh;
    const generation = this.#generation;
    const { clock, keyManager } = this.#options;
    const refresh = traceKeyRingLoad(
      keyManager.repositoryDescription,
      () => clock.now(),
      () => this.#computeRing(clock.now()),
    )
      .then(
        (ring) => {
          if (generation === this.#generation) {
            const previous = this.#lastLoaded;
            if (previous !== undefined)
              publishRevocationsSeen(previous, ring, keyManager.repositoryDescription);
            this.#ring = ring;
            this.#lastLoaded = ring;
            this.#scheduleChangeCheck();
            this.#watchRepository();
            const canUnprotectWith = (keyId: string) => ring.canUnprotectWith(keyId);
            for (const listener of this.#listeners) listener(canUnprotectWith);
          }
          return ring;
        },
        (error: unknown) => {
          const old = this.#ring;
          if (old) {
            this.#options.logger.error(
              `Refreshing the key ring from ${this.#options.keyManager.repositoryDescription} failed; using the cached ring for 2 more minutes: ${(error as Error).message}`,
            );
            this.#ring = old.extendedTo(this.#options.clock.now() + ERROR_RETRY_MS);
          }
          throw error;
        },
      )
      .finally(() => {
        if (this.#refresh === refresh) this.#refresh = undefined;
        if (this.#checkAfterRefresh) {
          this.#checkAfterRefresh = false;
          void this.checkForChanges();
        }
      });
    this.#refresh = refresh;
    return refresh;
  }

  #canUse = (key: Key): boolean =>
    key.canCreateEncryptor((error) =>
      this.#options.logger.warn(`Key {${key.id}} cannot be used: ${(error as Error).message}`),
    );

  async #computeRing(now: number): Promise<KeyRing> {
    const { keyManager, keyLifetimeMs, autoGenerateKeys, logger } = this.#options;
    // Read before the elements: a change between the two reads makes the next check re-read, never miss it.
    let changeToken = await keyManager.getChangeToken();
    let contents = await keyManager.readKeyRing();
    let keys = contents.keys;
    let resolution = resolveDefaultKey(now, keys, this.#canUse);
    let { defaultKey } = resolution;
    let needsKey = resolution.shouldGenerateNewKey;
    if (defaultKey && defaultKey.expirationDate.getTime() < now + ROLLOVER_WINDOW_MS) {
      // Does a successor take over when the default expires? If not, create one now, ahead of time.
      const successor = resolveDefaultKey(defaultKey.expirationDate.getTime(), keys, this.#canUse).defaultKey;
      needsKey = !successor || successor.expirationDate.getTime() < now + ROLLOVER_WINDOW_MS;
    }
    let chosen: Key | undefined = defaultKey;
    let refusal: KeyRingError | undefined;
    if (needsKey) {
      if (!autoGenerateKeys) {
        // Without a key that may protect, the ring still unprotects (and refuses revoked keys); protect fails.
        chosen = defaultKey ?? resolution.fallbackKey;
      } else {
        let created: Key | undefined;
        this.#creatingKey = true;
        try {
          created = defaultKey
            ? await keyManager.createKey(defaultKey.expirationDate, new Date(now + keyLifetimeMs))
            : await keyManager.createKey(new Date(now), new Date(now + keyLifetimeMs));
          publishKeyRingEvent({
            kind: 'key-created',
            repository: keyManager.repositoryDescription,
            keyId: created.id,
          });
        } catch (error) {
          // Refused (an unencrypted key in an encrypted ring, logged there): the ring still unprotects.
          if (!(error instanceof KeyRingError)) throw error;
          refusal = error;
        } finally {
          this.#creatingKey = false;
        }
        if (created === undefined) {
          chosen = defaultKey ?? resolution.fallbackKey;
        } else {
          // Re-read: other instances may have created keys at the same moment, and all must agree on one.
          changeToken = await keyManager.getChangeToken();
          contents = await keyManager.readKeyRing();
          keys = contents.keys;
          resolution = resolveDefaultKey(now, keys, this.#canUse);
          const made = created;
          chosen =
            resolution.defaultKey ?? resolution.fallbackKey ?? keys.find((key) => key.id === made.id) ?? made;
          defaultKey = chosen;
        }
      }
    }
    if (chosen?.isRevoked) {
      throw new KeyRingError(`The default key {${chosen.id}} has been revoked; create a new key.`);
    }
    this.#reportInvalidElements(contents.invalidElements);
    if (!chosen && !refusal) logger.error(noDefaultKeyError(keyManager.repositoryDescription, keys).message);
    const refreshMs = REFRESH_PERIOD_MS * (1 - (this.#options.random ?? Math.random)() / 5);
    const expiresAt =
      !chosen || chosen.isExpired(now)
        ? now + refreshMs
        : Math.min(chosen.expirationDate.getTime(), now + refreshMs);
    logger.debug(
      `Key ring loaded from ${keyManager.repositoryDescription}: ${keys.length} keys, default {${chosen?.id ?? 'none'}}.`,
    );
    return new KeyRing(chosen, keys, expiresAt, changeToken, refusal);
  }

  /**
   * Logs each unreadable element once, when it first appears in a load, not on every load or request; an
   * element removed and stored again is reported again.
   */
  #reportInvalidElements(invalid: readonly InvalidKeyRingElement[]): void {
    const { logger, keyManager } = this.#options;
    const seen = new Set<string>();
    for (const element of invalid) {
      // By content, not location: deleting an element before it renumbers the elements of a list.
      const fingerprint = `${element.reason}\n${element.xml}`;
      seen.add(fingerprint);
      if (this.#reportedInvalid.has(fingerprint)) continue;
      logger.error(invalidElementMessage(element, keyManager.repositoryDescription));
      publishKeyRingEvent({
        kind: 'unreadable-element',
        repository: keyManager.repositoryDescription,
        reason: element.reason,
      });
    }
    this.#reportedInvalid = seen;
  }
}
