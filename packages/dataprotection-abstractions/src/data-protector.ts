import type { TimeLimitedDataProtector } from './time-limited-data-protector.ts';

/** The result of dangerousUnprotect. */
export interface DangerousUnprotectResult {
  plaintext: Uint8Array;
  /** Protected with a key that is not the current default (or revoked): re-protect it. */
  requiresMigration: boolean;
  wasRevoked: boolean;
}

/** Protects and unprotects data for one purpose chain (ASP.NET Core's IDataProtector). */
export interface DataProtector {
  readonly purposes: readonly string[];
  /** A protector for a longer purpose chain: this one's purposes followed by these. */
  createProtector(purpose: string, ...subPurposes: string[]): DataProtector;
  /** Bytes in, payload bytes out. A string is encoded as UTF-8 and the payload returned as base64url. */
  protect(plaintext: Uint8Array): Promise<Uint8Array>;
  protect(plaintext: string): Promise<string>;
  /** The inverse of protect. Throws a PayloadError subclass for anything it cannot unprotect. */
  unprotect(payload: Uint8Array): Promise<Uint8Array>;
  unprotect(payload: string): Promise<string>;
  /** Unprotects even with a revoked key, and says whether the data should be re-protected. */
  dangerousUnprotect(
    payload: Uint8Array,
    options?: { ignoreRevocationErrors?: boolean },
  ): Promise<DangerousUnprotectResult>;
  /** A protector whose payloads carry an expiration (ASP.NET Core's ToTimeLimitedDataProtector). */
  toTimeLimited(): TimeLimitedDataProtector;
  /**
   * Protects without waiting, for callers that cannot (a response header written synchronously). Needs the
   * key ring loaded (`await provider.initialize()`, or any earlier protect/unprotect); throws KeyRingError
   * before that.
   */
  protectSync(plaintext: Uint8Array): Uint8Array;
}
