import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

const ZERO = Buffer.alloc(1);

/**
 * NIST SP800-108 KDF in counter mode with HMAC-SHA512 as the PRF, as ASP.NET Core derives its per-payload
 * subkeys: block_i = HMAC(kdk, BE32(i) || label || 0x00 || context || BE32(L * 8)).
 *
 * `context` may be given in parts (context header, key modifier) to save a copy per operation. Callers on
 * hot paths pass the key as a KeyObject made once: node:crypto handles a KeyObject several times faster than
 * a raw Buffer key, which it would import again on every call.
 */
export function deriveKey(
  kdk: Uint8Array | KeyObject,
  label: Uint8Array,
  context: Uint8Array | readonly Uint8Array[],
  length: number,
): Buffer {
  // An empty key cannot be a KeyObject; HMAC pads it with zeros either way.
  const key = kdk instanceof Uint8Array ? (kdk.length === 0 ? kdk : createSecretKey(kdk)) : kdk;
  const parts = context instanceof Uint8Array ? [context] : context;
  const bits = Buffer.allocUnsafe(4);
  bits.writeUInt32BE(length * 8);
  const counter = Buffer.allocUnsafe(4);
  let out: Buffer | undefined;
  let written = 0;
  for (let i = 1; written < length; i++) {
    counter.writeUInt32BE(i);
    const hmac = createHmac('sha512', key).update(counter).update(label).update(ZERO);
    for (const part of parts) hmac.update(part);
    const block = hmac.update(bits).digest();
    // One block (64 bytes) covers every algorithm ASP.NET Core ships; only longer outputs need copying.
    if (i === 1 && block.length >= length) return block.length === length ? block : block.subarray(0, length);
    out ??= Buffer.allocUnsafe(length);
    written += block.copy(out, written, 0, Math.min(block.length, length - written));
  }
  return out!;
}
