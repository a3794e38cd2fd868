import {
  DataProtectionError,
  type DataProtector,
  type Expiration,
  PayloadExpiredError,
  PayloadInvalidError,
  type TimeLimitedDataProtector,
  type TimeLimitedUnprotectResult,
} from '@sharedstate/dataprotection-abstractions';
import { type Clock, epochMsFromTicks, parseDuration, ticksFromEpochMs } from '@sharedstate/shared-helpers';
import { decodeBase64Url, validatePurposes } from './payload-format.ts';

export const TIME_LIMITED_PURPOSE = 'Microsoft.AspNetCore.DataProtection.TimeLimitedDataProtector.v1';

/** DateTimeOffset.MaxValue, written when a payload never expires. */
const MAX_TICKS = 3_155_378_975_999_999_999n;

export function dateToTicks(date: Date): bigint {
  return ticksFromEpochMs(date.getTime());
}

/** undefined for DateTimeOffset.MaxValue (no expiration). */
export function ticksToDate(ticks: bigint): Date | undefined {
  if (ticks === MAX_TICKS) return undefined;
  return new Date(epochMsFromTicks(ticks));
}

/** When a time-limited payload expires: a date, a lifetime from now, or never (omit). */
/**
 * Payloads that stop unprotecting after a time, byte-compatible with ASP.NET Core's
 * ToTimeLimitedDataProtector(): the expiration travels inside the protected data, under an extra purpose.
 */
export class ExpiringPayloadProtector implements TimeLimitedDataProtector {
  readonly #inner: DataProtector;
  readonly #clock: Clock;
  readonly #purposes: readonly string[];
  readonly #createInner: (purposes: readonly string[]) => DataProtector;

  /** Made by `protector.toTimeLimited()`. */
  constructor(
    createInner: (purposes: readonly string[]) => DataProtector,
    purposes: readonly string[],
    clock: Clock,
  ) {
    this.#createInner = createInner;
    this.#purposes = purposes;
    this.#clock = clock;
    this.#inner = createInner([...purposes, TIME_LIMITED_PURPOSE]);
  }

  get purposes(): readonly string[] {
    return this.#purposes;
  }

  /** A time-limited protector whose purposes are these plus `purpose` (inserted before the time-limit suffix). */
  createProtector(purpose: string, ...subPurposes: string[]): TimeLimitedDataProtector {
    validatePurposes([purpose, ...subPurposes]);
    return new ExpiringPayloadProtector(
      this.#createInner,
      [...this.#purposes, purpose, ...subPurposes],
      this.#clock,
    );
  }

  protect(plaintext: Uint8Array, expiration?: Expiration): Promise<Uint8Array>;
  protect(plaintext: string, expiration?: Expiration): Promise<string>;
  async protect(plaintext: Uint8Array | string, expiration?: Expiration): Promise<Uint8Array | string> {
    const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const header = Buffer.alloc(8);
    header.writeBigUInt64BE(this.#expirationTicks(expiration));
    const payload = await this.#inner.protect(Buffer.concat([header, bytes]));
    return typeof plaintext === 'string' ? Buffer.from(payload).toString('base64url') : payload;
  }

  async unprotect(payload: Uint8Array): Promise<Uint8Array>;
  async unprotect(payload: string): Promise<string>;
  async unprotect(payload: Uint8Array | string): Promise<Uint8Array | string> {
    if (typeof payload === 'string') {
      const result = await this.unprotectWithExpiration(decodeBase64Url(payload));
      return Buffer.from(result.plaintext).toString('utf8');
    }
    return (await this.unprotectWithExpiration(payload)).plaintext;
  }

  /** Unprotects and also returns the expiration the payload carried. */
  async unprotectWithExpiration(payload: Uint8Array): Promise<TimeLimitedUnprotectResult<Uint8Array>> {
    const inner = await this.#inner.unprotect(payload);
    if (inner.length < 8) throw new PayloadInvalidError('The payload is invalid.');
    const view = Buffer.from(inner.buffer, inner.byteOffset, inner.byteLength);
    const expiration = ticksToDate(view.readBigUInt64BE(0));
    // ASP.NET Core accepts a payload at exactly its expiration instant.
    if (expiration && this.#clock.now() > expiration.getTime()) {
      throw new PayloadExpiredError(expiration, `The payload expired at ${expiration.toISOString()}.`);
    }
    return { plaintext: view.subarray(8), expiration };
  }

  #expirationTicks(expiration: Expiration | undefined): bigint {
    if (expiration === undefined) return MAX_TICKS;
    if (expiration instanceof Date) {
      if (Number.isNaN(expiration.getTime()))
        throw new DataProtectionError('The expiration is not a valid Date.');
      return dateToTicks(expiration);
    }
    return dateToTicks(
      new Date(this.#clock.now() + parseDuration(expiration.lifetime, 'lifetime', DataProtectionError)),
    );
  }
}
