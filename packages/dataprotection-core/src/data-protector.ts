import {
  type DangerousUnprotectResult,
  DataProtectionError,
  type DataProtector,
  KeyDecryptionError,
  KeyNotFoundError,
  KeyRevokedError,
  KeyRingError,
  PayloadError,
  PayloadNotProtectedError,
  PayloadVersionError,
  type TimeLimitedDataProtector,
} from '@sharedstate/dataprotection-abstractions';
import { bytesToGuid, type Clock } from '@sharedstate/shared-helpers';
import type { Key } from './key.ts';
import type { KeyRing } from './key-ring.ts';
import { type KeyRingProvider, noDefaultKeyError } from './key-ring-provider.ts';
import {
  aadForKey,
  buildAadTemplate,
  decodeBase64Url,
  KEY_ID_OFFSET,
  MAGIC_HEADER,
  PAYLOAD_HEADER_LENGTH,
  validatePurposes,
} from './payload-format.ts';
import { ExpiringPayloadProtector } from './time-limited-data-protector.ts';

/** Protected payloads of more than this are refused unread: nothing this library protects is that big. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** A protector over the shared key ring (ASP.NET Core's KeyRingBasedDataProtector). */
export class KeyRingBasedDataProtector implements DataProtector {
  readonly purposes: readonly string[];
  readonly #provider: KeyRingProvider;
  readonly #aadTemplate: Buffer;
  readonly #repositoryHint: string;
  readonly #clock: Clock;
  /** The AAD is constant for a protector and a key: keep the last one built (the default key, almost always). */
  #lastAad: { key: Key; aad: Buffer } | undefined;

  constructor(provider: KeyRingProvider, purposes: readonly string[], repositoryHint: string, clock: Clock) {
    this.#provider = provider;
    this.#clock = clock;
    this.purposes = Object.freeze([...purposes]);
    // Built once: every operation only writes its key id into a copy.
    this.#aadTemplate = buildAadTemplate(this.purposes);
    this.#repositoryHint = repositoryHint;
  }

  createProtector(purpose: string, ...subPurposes: string[]): DataProtector {
    const added = [purpose, ...subPurposes];
    validatePurposes(added);
    return new KeyRingBasedDataProtector(
      this.#provider,
      [...this.purposes, ...added],
      this.#repositoryHint,
      this.#clock,
    );
  }

  toTimeLimited(): TimeLimitedDataProtector {
    return new ExpiringPayloadProtector(
      (purposes) =>
        new KeyRingBasedDataProtector(this.#provider, purposes, this.#repositoryHint, this.#clock),
      this.purposes,
      this.#clock,
    );
  }

  protect(plaintext: Uint8Array): Promise<Uint8Array>;
  protect(plaintext: string): Promise<string>;
  async protect(plaintext: Uint8Array | string): Promise<Uint8Array | string> {
    if (typeof plaintext === 'string') {
      if (!plaintext.isWellFormed())
        throw new DataProtectionError('The text to protect contains an unpaired surrogate.');
      return Buffer.from(await this.protectBytes(Buffer.from(plaintext, 'utf8'))).toString('base64url');
    }
    if (!(plaintext instanceof Uint8Array))
      throw new DataProtectionError('protect takes a Uint8Array or a string.');
    return this.protectBytes(plaintext);
  }

  async protectBytes(plaintext: Uint8Array): Promise<Buffer> {
    return this.#protectWith(
      this.#provider.freshRing ?? (await this.#provider.getCurrentKeyRing()),
      plaintext,
    );
  }

  protectSync(plaintext: Uint8Array): Buffer {
    const ring = this.#provider.loadedRing;
    if (!ring) {
      throw new KeyRingError(
        'The key ring is not loaded yet: await provider.initialize() (or any protect) before protectSync.',
      );
    }
    return this.#protectWith(ring, plaintext);
  }

  #protectWith(ring: KeyRing, plaintext: Uint8Array): Buffer {
    const key = ring.defaultKey;
    if (key === undefined)
      throw ring.keyCreationRefused ?? noDefaultKeyError(this.#repositoryHint, ring.keys);
    const aad = this.#aadFor(key);
    let body: Buffer;
    try {
      body = key.encryptor.encrypt(plaintext, aad);
    } catch (error) {
      if (error instanceof DataProtectionError) throw error;
      throw new DataProtectionError('An error occurred while trying to encrypt the provided data.', {
        cause: error,
      });
    }
    // The payload header (magic || key id) is exactly the first 20 bytes of the AAD.
    return Buffer.concat([aad.subarray(0, PAYLOAD_HEADER_LENGTH), body]);
  }

  unprotect(payload: Uint8Array): Promise<Uint8Array>;
  unprotect(payload: string): Promise<string>;
  async unprotect(payload: Uint8Array | string): Promise<Uint8Array | string> {
    if (typeof payload === 'string') {
      const plaintext = (await this.#unprotectCore(decodeBase64Url(payload), false)).plaintext;
      try {
        return strictDecoder.decode(plaintext);
      } catch {
        throw new PayloadNotProtectedError(
          'The unprotected payload is not UTF-8 text; it was protected from bytes, not a string.',
        );
      }
    }
    if (!(payload instanceof Uint8Array))
      throw new PayloadNotProtectedError('unprotect takes a Uint8Array or a string.');
    return (await this.#unprotectCore(payload, false)).plaintext;
  }

  async dangerousUnprotect(
    payload: Uint8Array,
    options: { ignoreRevocationErrors?: boolean } = {},
  ): Promise<DangerousUnprotectResult> {
    return this.#unprotectCore(payload, options.ignoreRevocationErrors ?? false);
  }

  #aadFor(key: Key): Buffer {
    const last = this.#lastAad;
    if (last?.key === key) return last.aad;
    const aad = aadForKey(this.#aadTemplate, key.idBytes);
    this.#lastAad = { key, aad };
    return aad;
  }

  async #unprotectCore(payload: Uint8Array, ignoreRevocation: boolean): Promise<DangerousUnprotectResult> {
    if (payload.length < PAYLOAD_HEADER_LENGTH || payload.length > MAX_PAYLOAD_BYTES) {
      throw new PayloadNotProtectedError(
        'The provided payload cannot be decrypted because it was not protected with this protection provider.',
      );
    }
    const view = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const magic = view.readUInt32BE(0);
    if ((magic & ~0xf) >>> 0 !== MAGIC_HEADER) {
      throw new PayloadNotProtectedError(
        'The provided payload cannot be decrypted because it was not protected with this protection provider.',
      );
    }
    if ((magic & 0xf) !== 0) {
      throw new PayloadVersionError(
        'The provided payload cannot be decrypted because it was protected with a newer version of the protection provider.',
      );
    }
    const keyIdBytes = view.subarray(KEY_ID_OFFSET, PAYLOAD_HEADER_LENGTH);
    let ring: KeyRing = this.#provider.freshRing ?? (await this.#provider.getCurrentKeyRing());
    let key: Key | undefined = ring.getKeyByIdBytes(keyIdBytes);
    if (!key) {
      ring = await this.#provider.refreshForUnknownKey();
      key = ring.getKeyByIdBytes(keyIdBytes);
    }
    if (!key) {
      const keyId = bytesToGuid(keyIdBytes);
      throw new KeyNotFoundError(
        keyId,
        `The key {${keyId}} was not found in the key ring loaded from ${this.#repositoryHint}. Are all instances configured with the same applicationName and the same repository? A key ring lost from storage (an evicted Redis key, a container without a volume) also causes this.`,
      );
    }
    if (key.isRevoked && !ignoreRevocation)
      throw new KeyRevokedError(key.id, `The key {${key.id}} has been revoked.`);
    let plaintext: Buffer;
    try {
      plaintext = key.encryptor.decrypt(view.subarray(PAYLOAD_HEADER_LENGTH), this.#aadFor(key));
    } catch (error) {
      if (error instanceof PayloadError) throw error;
      throw new KeyDecryptionError(
        'The provided payload could not be decrypted: its key could not be read. See the cause for details.',
        { cause: error },
      );
    }
    return {
      plaintext,
      requiresMigration: key.isRevoked || key !== ring.defaultKey,
      wasRevoked: key.isRevoked,
    };
  }
}
