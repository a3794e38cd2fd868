import { type CipherGCMTypes, createCipheriv, createHmac } from 'node:crypto';
import type { CipherParameters, HashParameters } from './algorithms.ts';
import { deriveKey } from './sp800-108.ts';

const EMPTY = new Uint8Array(0);
const cache = new Map<string, Buffer>();

/**
 * The context header is a constant per algorithm pair that binds the algorithms into every subkey
 * derivation (it is part of the KDF context). It is derived from an empty key, so it is computed once per
 * process and cached.
 */
export function cbcContextHeader(cipher: CipherParameters, hash: HashParameters): Buffer {
  const id = `cbc:${cipher.keyLength}:${hash.digest}`;
  let header = cache.get(id);
  if (header === undefined) {
    const subkeys = deriveKey(EMPTY, EMPTY, EMPTY, cipher.keyLength + hash.length);
    const encryptionKey = subkeys.subarray(0, cipher.keyLength);
    const macKey = subkeys.subarray(cipher.keyLength);
    const cbc = createCipheriv(`aes-${cipher.keyLength * 8}-cbc`, encryptionKey, Buffer.alloc(16));
    const emptyBlock = Buffer.concat([cbc.update(EMPTY), cbc.final()]);
    const emptyMac = createHmac(hash.digest, macKey).digest();
    const numbers = Buffer.alloc(18);
    numbers.writeUInt16BE(0, 0);
    numbers.writeUInt32BE(cipher.keyLength, 2);
    numbers.writeUInt32BE(16, 6);
    numbers.writeUInt32BE(hash.length, 10);
    numbers.writeUInt32BE(hash.length, 14);
    header = Buffer.concat([numbers, emptyBlock, emptyMac]);
    cache.set(id, header);
  }
  return header;
}

export function gcmContextHeader(cipher: CipherParameters): Buffer {
  const id = `gcm:${cipher.keyLength}`;
  let header = cache.get(id);
  if (header === undefined) {
    const key = deriveKey(EMPTY, EMPTY, EMPTY, cipher.keyLength);
    const gcm = createCipheriv(`aes-${cipher.keyLength * 8}-gcm` as CipherGCMTypes, key, Buffer.alloc(12), {
      authTagLength: 16,
    });
    gcm.update(EMPTY);
    gcm.final();
    const numbers = Buffer.alloc(18);
    numbers.writeUInt16BE(1, 0);
    numbers.writeUInt32BE(cipher.keyLength, 2);
    numbers.writeUInt32BE(12, 6);
    numbers.writeUInt32BE(16, 10);
    numbers.writeUInt32BE(16, 14);
    header = Buffer.concat([numbers, gcm.getAuthTag()]);
    cache.set(id, header);
  }
  return header;
}
