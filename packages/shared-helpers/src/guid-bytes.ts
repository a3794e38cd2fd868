const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isGuid(text: string): boolean {
  return GUID.test(text.toLowerCase());
}

/**
 * A GUID's 16 bytes in .NET's Guid.ToByteArray() order: the first three groups little-endian, the rest as
 * written. Key ids travel in this order inside protected payloads and their AAD, and session keys inside
 * ASP.NET Core's session serialization.
 */
export function guidToBytes(guid: string): Uint8Array {
  const hex = guid.toLowerCase();
  if (!GUID.test(hex)) throw new TypeError(`'${guid}' is not a GUID.`);
  const plain = Buffer.from(hex.replaceAll('-', ''), 'hex');
  const out = Buffer.from(plain);
  out[0] = plain[3]!;
  out[1] = plain[2]!;
  out[2] = plain[1]!;
  out[3] = plain[0]!;
  out[4] = plain[5]!;
  out[5] = plain[4]!;
  out[6] = plain[7]!;
  out[7] = plain[6]!;
  return out;
}

/** The inverse of guidToBytes: lowercase "D" text. */
export function bytesToGuid(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, 16);
  const swapped = Buffer.from([b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8, 16)]);
  const hex = swapped.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
