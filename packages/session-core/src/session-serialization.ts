import { SessionTooLargeError } from './session-errors.ts';
import { readUtf8 } from './utf8-text.ts';

const REVISION = 2;
const MAX_ENTRIES = 0xff_ffff;
const MAX_KEY_BYTES = 0xffff;
const MAX_VALUE_BYTES = 0x7fff_ffff;

export interface SessionSnapshot {
  /** The 16-byte session id kept inside the blob (not the cache key). */
  id: Uint8Array;
  entries: Map<string, Uint8Array>;
}

/**
 * ASP.NET Core's session blob, serialization revision 2: 0x02, BE24 entry count, 16-byte id, then per entry
 * BE16 key length, UTF-8 key, BE32 value length, value. Byte-compatible, so both stacks read each other's
 * sessions from a shared cache.
 */
export function serializeSession(snapshot: SessionSnapshot): Buffer {
  const { entries } = snapshot;
  if (entries.size > MAX_ENTRIES)
    throw new SessionTooLargeError(`A session holds at most ${MAX_ENTRIES} entries.`);
  // Sized first, then written into one buffer: no intermediate buffers per entry.
  let size = 20;
  for (const [key, value] of entries) {
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes > MAX_KEY_BYTES)
      throw new SessionTooLargeError(
        `The session key '${key.slice(0, 40)}…' is over ${MAX_KEY_BYTES} bytes.`,
      );
    size += 2 + keyBytes + 4 + value.byteLength;
  }
  const blob = Buffer.allocUnsafe(size);
  blob[0] = REVISION;
  blob.writeUIntBE(entries.size, 1, 3);
  blob.set(snapshot.id, 4);
  let offset = 20;
  for (const [key, value] of entries) {
    const keyBytes = blob.write(key, offset + 2, 'utf8');
    blob.writeUInt16BE(keyBytes, offset);
    offset += 2 + keyBytes;
    blob.writeUInt32BE(value.byteLength, offset);
    blob.set(value, offset + 4);
    offset += 4 + value.byteLength;
  }
  return blob;
}

/** Why a blob could not be read; the caller starts an empty session and overwrites it on commit. */
export type SessionReadFailure = 'empty' | 'unknown-revision' | 'truncated';

/**
 * Big-endian lengths, read from the bytes without a Buffer view (the blob may be any Uint8Array): cheaper
 * than making a view and calling its read methods, and it runs on every request that reads a session.
 */
const uint16At = (bytes: Uint8Array, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
/** Unsigned: a length with the top bit set is over MAX_VALUE_BYTES, not negative. */
const uint32At = (bytes: Uint8Array, at: number): number =>
  ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | uint16At(bytes, at + 2)) >>> 0;

/**
 * Reads a blob; every length is checked against what is left, so a corrupt blob cannot over-read. The
 * values are views into `blob` (no copies): pass a blob nothing else will change, as a cache's get returns.
 */
export function deserializeSession(blob: Uint8Array): SessionSnapshot | SessionReadFailure {
  const length = blob.length;
  if (length === 0) return 'empty';
  if (blob[0] !== REVISION) return 'unknown-revision';
  if (length < 20) return 'truncated';
  const count = (blob[1]! << 16) | uint16At(blob, 2);
  const entries = new Map<string, Uint8Array>();
  let offset = 20;
  for (let i = 0; i < count; i++) {
    if (offset + 2 > length) return 'truncated';
    const keyLength = uint16At(blob, offset);
    offset += 2;
    if (offset + keyLength + 4 > length) return 'truncated';
    const key = readUtf8(blob, offset, offset + keyLength);
    offset += keyLength;
    const valueLength = uint32At(blob, offset);
    offset += 4;
    if (valueLength > MAX_VALUE_BYTES || offset + valueLength > length) return 'truncated';
    entries.set(key, blob.subarray(offset, offset + valueLength));
    offset += valueLength;
  }
  return { id: blob.subarray(4, 20), entries };
}
