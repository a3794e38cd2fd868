import { createHmac } from 'node:crypto';

/**
 * NIST SP800-108 KDF in counter mode with HMAC-SHA512 as the PRF, as ASP.NET Core derives its per-payload
 * subkeys: block_i = HMAC(kdk, BE32(i) || label || 0x00 || context || BE32(L * 8)).
 */
export function deriveKey(kdk: Uint8Array, label: Uint8Array, context: Uint8Array, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  const counter = Buffer.alloc(4);
  const bits = Buffer.alloc(4);
  bits.writeUInt32BE(length * 8);
  const zero = Buffer.alloc(1);
  let written = 0;
  for (let i = 1; written < length; i++) {
    counter.writeUInt32BE(i);
    const block = createHmac('sha512', kdk)
      .update(counter)
      .update(label)
      .update(zero)
      .update(context)
      .update(bits)
      .digest();
    written += block.copy(out, written, 0, Math.min(block.length, length - written));
  }
  return out;
}
