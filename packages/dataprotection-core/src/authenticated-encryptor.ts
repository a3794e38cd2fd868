import {
  type CipherGCMTypes,
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { PayloadInvalidError } from '@sharedstate/dataprotection-abstractions';
import {
  type CipherParameters,
  cipherParameters,
  type EncryptionAlgorithm,
  type HashParameters,
  hashParameters,
  type ValidationAlgorithm,
} from './algorithms.ts';
import { cbcContextHeader, gcmContextHeader } from './context-header.ts';
import { deriveKey } from './sp800-108.ts';

/** Where random bytes come from; tests replace it to reproduce ASP.NET Core's known-answer vectors. */
export type RandomSource = (length: number) => Uint8Array;
export const secureRandom: RandomSource = (length) => randomBytes(length);

/** Encrypts and authenticates a payload body under one master key (FORMATS §1.6, §1.7). */
export interface AuthenticatedEncryptor {
  encrypt(plaintext: Uint8Array, aad: Uint8Array): Buffer;
  /** Throws PayloadInvalidError when the body does not authenticate. */
  decrypt(body: Uint8Array, aad: Uint8Array): Buffer;
}

const KEY_MODIFIER_LENGTH = 16;
const BLOCK = 16;
const invalid = () => new PayloadInvalidError('The payload was invalid.');

/** AES-CBC + HMAC: body = keyModifier || IV || ciphertext || HMAC(IV || ciphertext). */
export class CbcHmacAuthenticatedEncryptor implements AuthenticatedEncryptor {
  readonly #masterKey: KeyObject;
  readonly #cipher: CipherParameters;
  readonly #hash: HashParameters;
  readonly #contextHeader: Buffer;
  readonly #cipherName: string;
  readonly #random: RandomSource;

  constructor(
    masterKey: Uint8Array,
    encryption: EncryptionAlgorithm,
    validation: ValidationAlgorithm,
    random = secureRandom,
  ) {
    this.#masterKey = createSecretKey(masterKey);
    this.#cipher = cipherParameters(encryption);
    this.#hash = hashParameters(validation);
    this.#contextHeader = cbcContextHeader(this.#cipher, this.#hash);
    this.#cipherName = `aes-${this.#cipher.keyLength * 8}-cbc`;
    this.#random = random;
  }

  #subkeys(aad: Uint8Array, keyModifier: Uint8Array): { encryptionKey: KeyObject; macKey: KeyObject } {
    const subkeys = deriveKey(
      this.#masterKey,
      aad,
      [this.#contextHeader, keyModifier],
      this.#cipher.keyLength + this.#hash.length,
    );
    // KeyObjects: node:crypto is much faster with them than with Buffer keys (see sp800-108.ts).
    return {
      encryptionKey: createSecretKey(subkeys.subarray(0, this.#cipher.keyLength)),
      macKey: createSecretKey(subkeys.subarray(this.#cipher.keyLength)),
    };
  }

  encrypt(plaintext: Uint8Array, aad: Uint8Array): Buffer {
    const keyModifier = this.#random(KEY_MODIFIER_LENGTH);
    const iv = this.#random(BLOCK);
    const { encryptionKey, macKey } = this.#subkeys(aad, keyModifier);
    const cipher = createCipheriv(this.#cipherName, encryptionKey, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const mac = createHmac(this.#hash.digest, macKey).update(iv).update(ciphertext).digest();
    return Buffer.concat([keyModifier, iv, ciphertext, mac]);
  }

  decrypt(body: Uint8Array, aad: Uint8Array): Buffer {
    const macLength = this.#hash.length;
    // At least one block of ciphertext: PKCS#7 always pads.
    if (body.length < KEY_MODIFIER_LENGTH + BLOCK + BLOCK + macLength) throw invalid();
    const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const keyModifier = buffer.subarray(0, KEY_MODIFIER_LENGTH);
    const ivAndCiphertext = buffer.subarray(KEY_MODIFIER_LENGTH, buffer.length - macLength);
    if ((ivAndCiphertext.length - BLOCK) % BLOCK !== 0) throw invalid();
    const mac = buffer.subarray(buffer.length - macLength);
    const { encryptionKey, macKey } = this.#subkeys(aad, keyModifier);
    const expected = createHmac(this.#hash.digest, macKey).update(ivAndCiphertext).digest();
    // The MAC is checked, in constant time, before anything is decrypted.
    if (!timingSafeEqual(expected, mac)) throw invalid();
    try {
      const decipher = createDecipheriv(this.#cipherName, encryptionKey, ivAndCiphertext.subarray(0, BLOCK));
      return Buffer.concat([decipher.update(ivAndCiphertext.subarray(BLOCK)), decipher.final()]);
    } catch {
      throw invalid();
    }
  }
}

/** AES-GCM: body = keyModifier || nonce || ciphertext || tag; the AAD only feeds the KDF. */
export class GcmAuthenticatedEncryptor implements AuthenticatedEncryptor {
  readonly #masterKey: KeyObject;
  readonly #cipher: CipherParameters;
  readonly #contextHeader: Buffer;
  readonly #cipherName: CipherGCMTypes;
  readonly #random: RandomSource;

  constructor(masterKey: Uint8Array, encryption: EncryptionAlgorithm, random = secureRandom) {
    this.#masterKey = createSecretKey(masterKey);
    this.#cipher = cipherParameters(encryption);
    this.#contextHeader = gcmContextHeader(this.#cipher);
    this.#cipherName = `aes-${this.#cipher.keyLength * 8}-gcm` as CipherGCMTypes;
    this.#random = random;
  }

  #key(aad: Uint8Array, keyModifier: Uint8Array): KeyObject {
    return createSecretKey(
      deriveKey(this.#masterKey, aad, [this.#contextHeader, keyModifier], this.#cipher.keyLength),
    );
  }

  encrypt(plaintext: Uint8Array, aad: Uint8Array): Buffer {
    const keyModifier = this.#random(KEY_MODIFIER_LENGTH);
    const nonce = this.#random(12);
    const cipher = createCipheriv(this.#cipherName, this.#key(aad, keyModifier), nonce, {
      authTagLength: 16,
    });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([keyModifier, nonce, ciphertext, cipher.getAuthTag()]);
  }

  decrypt(body: Uint8Array, aad: Uint8Array): Buffer {
    if (body.length < KEY_MODIFIER_LENGTH + 12 + 16) throw invalid();
    const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const keyModifier = buffer.subarray(0, KEY_MODIFIER_LENGTH);
    const nonce = buffer.subarray(KEY_MODIFIER_LENGTH, KEY_MODIFIER_LENGTH + 12);
    const ciphertext = buffer.subarray(KEY_MODIFIER_LENGTH + 12, buffer.length - 16);
    const tag = buffer.subarray(buffer.length - 16);
    try {
      const decipher = createDecipheriv(this.#cipherName, this.#key(aad, keyModifier), nonce, {
        authTagLength: 16,
      });
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw invalid();
    }
  }
}

export function createAuthenticatedEncryptor(
  masterKey: Uint8Array,
  encryption: EncryptionAlgorithm,
  validation: ValidationAlgorithm | undefined,
  random: RandomSource = secureRandom,
): AuthenticatedEncryptor {
  return cipherParameters(encryption).mode === 'gcm'
    ? new GcmAuthenticatedEncryptor(masterKey, encryption, random)
    : new CbcHmacAuthenticatedEncryptor(masterKey, encryption, validation ?? 'HMACSHA256', random);
}
