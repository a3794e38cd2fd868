import type { Duration } from '@sharedstate/shared-helpers';

/** When a time-limited payload stops unprotecting: a moment, or a lifetime from now. */
export type Expiration = Date | { lifetime: Duration };

export interface TimeLimitedUnprotectResult<T> {
  plaintext: T;
  /** undefined when the payload never expires. */
  expiration: Date | undefined;
}

/**
 * Payloads that stop unprotecting after a time (ASP.NET Core's ITimeLimitedDataProtector): the expiration
 * travels inside the protected data. Made by `protector.toTimeLimited()`.
 */
export interface TimeLimitedDataProtector {
  readonly purposes: readonly string[];
  /** A time-limited protector whose purposes are these plus `purpose`. */
  createProtector(purpose: string, ...subPurposes: string[]): TimeLimitedDataProtector;
  /** Without an expiration, the payload never expires. */
  protect(plaintext: Uint8Array, expiration?: Expiration): Promise<Uint8Array>;
  protect(plaintext: string, expiration?: Expiration): Promise<string>;
  /** Throws PayloadExpiredError once the expiration has passed, or another PayloadError. */
  unprotect(payload: Uint8Array): Promise<Uint8Array>;
  unprotect(payload: string): Promise<string>;
  /** Unprotects and also returns the expiration the payload carried. */
  unprotectWithExpiration(payload: Uint8Array): Promise<TimeLimitedUnprotectResult<Uint8Array>>;
}
