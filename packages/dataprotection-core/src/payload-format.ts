// The protected payload's layout, as ASP.NET Core writes it: magic header || key id || encrypted body, the
// body authenticated with an AAD that binds it to the purpose chain; as text, base64url without padding.
import { DataProtectionError, PayloadNotProtectedError } from '@sharedstate/dataprotection-abstractions';
import { guidToBytes } from '@sharedstate/shared-helpers';

export const MAGIC_HEADER = 0x09f0c9f0;
/** Offset of the 16-byte key id in both the payload and the AAD. */
export const KEY_ID_OFFSET = 4;
export const PAYLOAD_HEADER_LENGTH = 20;

const strictUtf8 = (text: string): Buffer => {
  if (!text.isWellFormed()) {
    throw new TypeError('A purpose contains an unpaired surrogate and cannot be encoded as UTF-8.');
  }
  return Buffer.from(text, 'utf8');
};

/** .NET BinaryWriter.Write7BitEncodedInt: little-endian base-128, high bit = more bytes follow. */
function write7BitEncoded(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/**
 * The AAD binds a payload to its purpose chain: magic || keyId || BE32(count) || (7-bit length || UTF-8)*.
 * Built once per protector with a zero key id; each operation copies it and writes its key id in.
 */
export function buildAadTemplate(purposes: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(PAYLOAD_HEADER_LENGTH + 4)];
  parts[0]!.writeUInt32BE(MAGIC_HEADER, 0);
  parts[0]!.writeUInt32BE(purposes.length, PAYLOAD_HEADER_LENGTH);
  for (const purpose of purposes) {
    const bytes = strictUtf8(purpose);
    parts.push(Buffer.from(write7BitEncoded(bytes.length)), bytes);
  }
  return Buffer.concat(parts);
}

/** The template with the key id written in (a new buffer; the template stays untouched). */
export function aadForKey(template: Buffer, keyIdBytes: Uint8Array): Buffer {
  const aad = Buffer.from(template);
  aad.set(keyIdBytes, KEY_ID_OFFSET);
  return aad;
}

export function buildAad(keyId: string, purposes: readonly string[]): Buffer {
  return aadForKey(buildAadTemplate(purposes), guidToBytes(keyId));
}

/** Purposes are non-empty lists of strings, as ASP.NET Core requires. */
export function validatePurposes(purposes: readonly unknown[]): asserts purposes is string[] {
  if (purposes.length === 0) throw new DataProtectionError('A protector needs at least one purpose.');
  for (const purpose of purposes) {
    if (typeof purpose !== 'string')
      throw new DataProtectionError(`A purpose must be a string; got ${typeof purpose}.`);
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strictly decodes the base64url text (no padding) that string protection produces. */
export function decodeBase64Url(text: string): Buffer {
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.length % 4 === 1) {
    throw new PayloadNotProtectedError('The protected payload is not a base64url string.');
  }
  return Buffer.from(text, 'base64url');
}
