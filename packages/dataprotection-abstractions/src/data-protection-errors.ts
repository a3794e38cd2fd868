import {
  answerAsServiceUnavailable,
  type ServiceUnavailableAnswer,
  SharedStateError,
} from '@sharedstate/shared-helpers';

/** Base class of every data protection error. */
export class DataProtectionError extends SharedStateError {}

/**
 * A payload could not be unprotected. Every way a payload can be bad is a subclass, so a caller that only
 * needs "not valid" catches this one; none of them says anything an attacker could use beyond the category.
 */
export class PayloadError extends DataProtectionError {}

/** Too short, or the magic header is not ASP.NET Core data protection's. */
export class PayloadNotProtectedError extends PayloadError {}

/** Protected by a newer version of the payload format than this library reads. */
export class PayloadVersionError extends PayloadError {}

/** The MAC or tag did not verify: tampered, truncated, or protected with other purposes. */
export class PayloadInvalidError extends PayloadError {}

/** The key the payload names is not in the key ring. */
export class KeyNotFoundError extends PayloadError {
  readonly keyId: string;
  constructor(keyId: string, message: string) {
    super(message);
    this.keyId = keyId;
  }
}

/** The key the payload names was revoked. */
export class KeyRevokedError extends PayloadError {
  readonly keyId: string;
  constructor(keyId: string, message: string) {
    super(message);
    this.keyId = keyId;
  }
}

/** A time-limited payload whose expiration has passed. */
export class PayloadExpiredError extends PayloadError {
  readonly expiredAt: Date;
  constructor(expiredAt: Date, message: string) {
    super(message);
    this.expiredAt = expiredAt;
  }
}

/** The key ring cannot provide a key to protect with (e.g. auto-generation is off and no key is valid). */
export class KeyRingError extends DataProtectionError {}

/** A key's secret is encrypted at rest and could not be decrypted here. */
export class KeyDecryptionError extends DataProtectionError {}

/** What RepositoryUnavailableError answers in each framework's default error handling: 503 with Retry-After. */
export interface RepositoryUnavailableError extends ServiceUnavailableAnswer {}

/** The key repository could not be reached or did not answer in time (the cached ring keeps serving). */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: answerAsServiceUnavailable defines the interface's members
export class RepositoryUnavailableError extends DataProtectionError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    answerAsServiceUnavailable(this);
  }
}
