import type { DataProtector } from './data-protector.ts';

/**
 * What a consumer of protection is given (ASP.NET Core's IDataProtectionProvider): protectors for purpose
 * chains over a key ring someone else configured. `createDataProtection()` of
 * `@sharedstate/dataprotection-core` returns one, with key management besides.
 */
export interface DataProtectionProvider {
  /** The application discriminator every purpose chain starts with; null when there is none. */
  readonly applicationName: string | null;
  /** A protector for `[applicationName, purpose, ...subPurposes]`. */
  createProtector(purpose: string, ...subPurposes: string[]): DataProtector;
  /**
   * Loads the key ring now, so a misconfigured repository fails at startup instead of on the first request,
   * and protectSync works from then on.
   */
  initialize(): Promise<void>;
  /**
   * Calls `listener` after every load of the key ring, with a test telling whether payloads protected with a
   * key id still unprotect (the key is in the ring and not revoked): a consumer that remembers unprotected
   * payloads forgets those of revoked keys. Returns a function that removes the listener. A provider whose
   * keys are never revoked may leave it out.
   */
  onKeyRingLoaded?(listener: (canUnprotectWith: (keyId: string) => boolean) => void): () => void;
}
