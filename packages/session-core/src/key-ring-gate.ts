import type { DataProtectionProvider } from '@sharedstate/dataprotection-abstractions';
import type { Logger } from '@sharedstate/shared-helpers';

const RING_UP = () => true;
const RING_DOWN = () => false;

/** While the key ring cannot be loaded, requests do not wait for it; a new load is tried this often. */
const RING_RETRY_MS = 1_000;

/**
 * Whether sessions can use the key ring now. The ring's first load starts with the middleware, so that a
 * repository that is down is known to be down before the first request, which then does not wait for it;
 * while it is down, a new load is tried in the background at most once a second, and requests get an
 * unavailable session at once instead of waiting.
 */
export class KeyRingGate {
  readonly #dataProtection: DataProtectionProvider;
  readonly #logger: Logger | undefined;
  /** The key ring's load: in flight, or done (kept, as the ring stays in memory from then on). */
  #loaded: Promise<void> | undefined;
  /** When the last load failed (performance.now()), while none has succeeded since: the ring is down. */
  #failedAt: number | undefined;
  /** The last load's error while the ring is down: the cause an unavailable session reports. */
  #error: unknown;
  /** The ring has loaded once: it stays in memory from then on, and cookies can be protected at once. */
  ready = false;

  constructor(dataProtection: DataProtectionProvider, logger: Logger | undefined) {
    this.#dataProtection = dataProtection;
    this.#logger = logger;
    void this.load().catch(() => {});
  }

  /** The ring is known to be down (its last load failed). */
  get down(): boolean {
    return this.#failedAt !== undefined;
  }

  /** Why the ring is down: the last load's error. */
  get error(): unknown {
    return this.#error;
  }

  /**
   * True once the key ring is loaded; while a load runs, waits for it at most `waitMs`; false at once while
   * the ring is known to be down, starting a new load in the background at most every RING_RETRY_MS.
   */
  available(waitMs: number): Promise<boolean> | boolean {
    if (this.ready) return true;
    const failedAt = this.#failedAt;
    if (failedAt === undefined) {
      const loaded = this.load().then(RING_UP, RING_DOWN);
      if (waitMs <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<boolean>((resolve) => {
        timer = setTimeout(resolve, waitMs, false);
      });
      return Promise.race([loaded, waited]).finally(() => clearTimeout(timer));
    }
    if (this.#loaded === undefined && performance.now() - failedAt >= RING_RETRY_MS) {
      void this.load().catch(() => {});
    }
    return false;
  }

  /** The shared load of the key ring; a failed one is not kept, so a later call tries again. */
  load(): Promise<void> {
    this.#loaded ??= this.#dataProtection.initialize().then(
      () => {
        if (this.#failedAt !== undefined) this.#logger?.info('The key ring is loaded again.');
        this.#failedAt = undefined;
        this.#error = undefined;
        this.ready = true;
      },
      (error: unknown) => {
        this.#loaded = undefined;
        this.#error = error;
        if (this.#failedAt === undefined) {
          this.#logger?.error(
            `The key ring could not be loaded; sessions are unavailable until it can be (requests do not wait for it): ${(error as Error).message}`,
          );
        }
        this.#failedAt = performance.now();
        throw error;
      },
    );
    return this.#loaded;
  }
}
