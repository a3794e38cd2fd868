/**
 * HybridCache's L2 entry (Microsoft.Extensions.Caching.Hybrid's HybridCachePayload): a fixed header (sentinel
 * and version, entropy, creation time in UTC ticks), varints for the flags, payload length, duration and tag
 * count (v2: a local cache size when its flag says so), the key, the tags, the payload, and the sentinel again.
 */

const SENTINEL = 0x03;
const VERSION_1 = 0x01;
const VERSION_2 = 0x02;
const HAS_LOCAL_SIZE = 1n;
/** The smallest entry: an empty key and payload, no tags. */
const MINIMUM_LENGTH = 19;

export interface HybridPayload {
  key: string;
  /** UTC ticks (.NET's DateTimeOffset.UtcTicks) when the value was made. */
  creationTicks: bigint;
  /** Ticks after creation until the entry expires. */
  durationTicks: bigint;
  tags: readonly string[];
  payload: Uint8Array;
}

/** Why bytes read from L2 are not a usable entry (each a miss for the caller). */
export type PayloadRejection = 'format-not-recognized' | 'invalid-data' | 'invalid-key' | 'expired';

/** The entry as .NET writes it when no local size is kept: format v1. */
export function writeHybridPayload(entry: HybridPayload): Uint8Array {
  const key = Buffer.from(entry.key, 'utf8');
  const tags = entry.tags.map((tag) => Buffer.from(tag, 'utf8'));
  const parts: Uint8Array[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16LE((VERSION_1 << 8) | SENTINEL, 0);
  // Entropy: random, not cryptographic, as .NET's (it tells apart entries written at the same tick).
  header.writeUInt16LE(Math.floor(Math.random() * 0x10000), 2);
  header.writeBigInt64LE(entry.creationTicks, 4);
  parts.push(header);
  const varints: number[] = [];
  writeVarint(varints, 0n); // flags
  writeVarint(varints, BigInt(entry.payload.byteLength));
  writeVarint(varints, entry.durationTicks < 0n ? 0n : entry.durationTicks);
  writeVarint(varints, BigInt(tags.length));
  writeVarint(varints, BigInt(key.length));
  parts.push(Uint8Array.from(varints), key);
  for (const tag of tags) {
    const prefix: number[] = [];
    writeVarint(prefix, BigInt(tag.length));
    parts.push(Uint8Array.from(prefix), tag);
  }
  const trailer = Buffer.alloc(2);
  trailer.writeUInt16LE((VERSION_1 << 8) | SENTINEL, 0);
  parts.push(entry.payload, trailer);
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * The entry in `bytes` for `key`, or why it is none: another format, bytes that do not add up, another
 * key's entry (a hash collision or a shared L2), or an entry already expired at `nowTicks`. Never throws.
 */
export function readHybridPayload(
  bytes: Uint8Array,
  key: string,
  nowTicks: bigint,
): { entry: HybridPayload; rejection?: undefined } | { entry?: undefined; rejection: PayloadRejection } {
  if (bytes.byteLength < MINIMUM_LENGTH) return { rejection: 'format-not-recognized' };
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sentinel = view.readUInt16LE(0);
  if (sentinel !== ((VERSION_1 << 8) | SENTINEL) && sentinel !== ((VERSION_2 << 8) | SENTINEL)) {
    return { rejection: 'format-not-recognized' };
  }
  const creationTicks = view.readBigInt64LE(4);
  const reader = { offset: 12 };
  const flags = readVarint(view, reader);
  const payloadLength = readVarint(view, reader);
  const durationTicks = readVarint(view, reader);
  if (
    flags === undefined ||
    payloadLength === undefined ||
    payloadLength > 0x7fffffffn ||
    durationTicks === undefined
  ) {
    return { rejection: 'invalid-data' };
  }
  if (creationTicks + durationTicks <= nowTicks) return { rejection: 'expired' };
  if ((flags & HAS_LOCAL_SIZE) !== 0n && readVarint(view, reader) === undefined)
    return { rejection: 'invalid-data' };
  const tagCount = readVarint(view, reader);
  if (tagCount === undefined || tagCount > BigInt(view.length)) return { rejection: 'invalid-data' };
  const storedKey = readString(view, reader);
  if (storedKey === undefined) return { rejection: 'invalid-data' };
  if (storedKey !== key) return { rejection: 'invalid-key' };
  const tags: string[] = [];
  for (let index = 0n; index < tagCount; index++) {
    const tag = readString(view, reader);
    if (tag === undefined) return { rejection: 'invalid-data' };
    tags.push(tag);
  }
  const length = Number(payloadLength);
  if (view.length - reader.offset !== length + 2 || view.readUInt16LE(reader.offset + length) !== sentinel) {
    return { rejection: 'invalid-data' };
  }
  const payload = new Uint8Array(view.subarray(reader.offset, reader.offset + length));
  return { entry: { key, creationTicks, durationTicks, tags, payload } };
}

/** Unsigned LEB128, as .NET's Write7BitEncodedInt64. */
function writeVarint(target: number[], value: bigint): void {
  let rest = value;
  while (rest > 0x7fn) {
    target.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  target.push(Number(rest));
}

function readVarint(view: Buffer, reader: { offset: number }): bigint | undefined {
  let value = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (reader.offset >= view.length) return undefined;
    const byte = view[reader.offset++]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return value <= 0xffffffffffffffffn ? value : undefined;
  }
  return undefined;
}

function readString(view: Buffer, reader: { offset: number }): string | undefined {
  const length = readVarint(view, reader);
  if (length === undefined || length > BigInt(view.length - reader.offset)) return undefined;
  const end = reader.offset + Number(length);
  // Bytes that are not UTF-8 read as U+FFFD, as .NET's non-throwing UTF8Encoding reads them.
  const text = view.toString('utf8', reader.offset, end);
  reader.offset = end;
  return text;
}
