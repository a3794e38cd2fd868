import { guidToBytes } from '@sharedstate/shared-helpers';
import {
  type AuthenticatedEncryptor,
  createAuthenticatedEncryptor,
  type RandomSource,
} from './authenticated-encryptor.ts';
import type { AuthenticatedEncryptorDescriptor } from './authenticated-encryptor-descriptor.ts';
import type { KeyRecord } from './key-xml.ts';
import type { XmlDecryptor } from './xml-encryption.ts';

/** A key of the key ring: its dates, whether it is revoked, and (lazily) the encryptor made from its secret. */
export class Key {
  readonly id: string;
  readonly creationDate: Date;
  readonly activationDate: Date;
  readonly expirationDate: Date;
  /** Whether the master key is stored encrypted (with a certificate or another XML encryptor). */
  readonly encryptedAtRest: boolean;
  #revoked = false;
  #mayBeRevoked = false;
  readonly #record: KeyRecord;
  readonly #decryptors: readonly XmlDecryptor[];
  readonly #random: RandomSource;
  #encryptor: AuthenticatedEncryptor | undefined;
  #descriptor: AuthenticatedEncryptorDescriptor | undefined;
  #idBytes: Uint8Array | undefined;

  constructor(record: KeyRecord, decryptors: readonly XmlDecryptor[], random: RandomSource) {
    this.id = record.id;
    this.creationDate = record.creationDate;
    this.activationDate = record.activationDate;
    this.expirationDate = record.expirationDate;
    this.encryptedAtRest = record.encryptedAtRest;
    this.#record = record;
    this.#decryptors = decryptors;
    this.#random = random;
  }

  /** The id in payload byte order (.NET Guid.ToByteArray). */
  get idBytes(): Uint8Array {
    this.#idBytes ??= guidToBytes(this.id);
    return this.#idBytes;
  }

  get isRevoked(): boolean {
    return this.#revoked;
  }

  /** @internal set while revocations are applied to a freshly read ring. */
  markRevoked(): void {
    this.#revoked = true;
  }

  /**
   * True when an element the ring could not read was stored after this key: it may have been a revocation
   * of this key. The key still unprotects (ending every session over a damaged element would be worse) but
   * never protects a new payload, so no new payload depends on a key that may be revoked.
   */
  get mayBeRevoked(): boolean {
    return this.#mayBeRevoked;
  }

  /** @internal set while a freshly read ring is checked for unreadable elements. */
  markMayBeRevoked(): void {
    this.#mayBeRevoked = true;
  }

  isExpired(now: number): boolean {
    return this.expirationDate.getTime() <= now;
  }

  /** The algorithms and master key; decrypts the secret on first use (throws KeyDecryptionError if it cannot). */
  get descriptor(): AuthenticatedEncryptorDescriptor {
    this.#descriptor ??= this.#record.readDescriptor(this.#decryptors);
    return this.#descriptor;
  }

  /** The encryptor for this key, created once. */
  get encryptor(): AuthenticatedEncryptor {
    if (this.#encryptor === undefined) {
      const { masterKey, encryption, validation } = this.descriptor;
      this.#encryptor = createAuthenticatedEncryptor(masterKey, encryption, validation, this.#random);
    }
    return this.#encryptor;
  }

  /** Whether an encryptor can be made (the secret decrypts and the algorithms are known). */
  canCreateEncryptor(onError?: (error: unknown) => void): boolean {
    try {
      void this.encryptor;
      return true;
    } catch (error) {
      onError?.(error);
      return false;
    }
  }
}
