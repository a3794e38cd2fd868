// HybridCache's L2 entry as FORMATS.md §7 gives it: an entry assembled by hand reads, ours decodes by the
// same rules, and bytes that are not an entry for the key are refused with the reason.
import { readHybridPayload, writeHybridPayload } from '@sharedstate/caching-hybrid';

const NOW = 639_000_000_000_000_000n; // UTC ticks, in 2025
const HOUR = 36_000_000_000n;
const varint = (value: number) => {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
};
const utf8 = (text: string) => Buffer.concat([varint(Buffer.byteLength(text)), Buffer.from(text, 'utf8')]);
const int64 = (value: bigint) => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64LE(value);
  return bytes;
};
/** An entry laid out by hand: sentinel and version, entropy, creation ticks, the varints, key, tags, payload, sentinel. */
function handMade(options: {
  version?: 1 | 2;
  key: string;
  tags: string[];
  payload: Buffer;
  created: bigint;
  duration: bigint;
  localSize?: number;
}) {
  const version = options.version ?? 1;
  const sentinel = Buffer.of(0x03, version);
  return Buffer.concat([
    sentinel,
    Buffer.of(0x34, 0x12),
    int64(options.created),
    varint(options.localSize === undefined ? 0 : 1),
    varint(options.payload.length),
    varint(Number(options.duration)),
    ...(options.localSize === undefined ? [] : [varint(options.localSize)]),
    varint(options.tags.length),
    utf8(options.key),
    ...options.tags.map(utf8),
    options.payload,
    sentinel,
  ]);
}

describe('the L2 entry format', () => {
  test('an entry written by hand per the format reads: v1, and v2 with a local size', () => {
    const v1 = handMade({
      key: 'product:42',
      tags: ['products', 'tenant:7'],
      payload: Buffer.from('{"Name":"Tea"}'),
      created: NOW - HOUR,
      duration: 2n * HOUR,
    });
    expect(readHybridPayload(v1, 'product:42', NOW)).toEqual({
      entry: {
        key: 'product:42',
        creationTicks: NOW - HOUR,
        durationTicks: 2n * HOUR,
        tags: ['products', 'tenant:7'],
        payload: new Uint8Array(Buffer.from('{"Name":"Tea"}')),
      },
    });
    const v2 = handMade({
      version: 2,
      key: 'k',
      tags: [],
      payload: Buffer.from('x'),
      created: NOW,
      duration: HOUR,
      localSize: 4096,
    });
    expect(readHybridPayload(v2, 'k', NOW).entry?.payload).toEqual(new Uint8Array(Buffer.from('x')));
  });

  test('ours is v1 laid out exactly so: the same bytes as the hand-made entry but for the random entropy', () => {
    const payload = Buffer.from('Zoë 🫖', 'utf8');
    const written = Buffer.from(
      writeHybridPayload({
        key: 'clé',
        creationTicks: NOW,
        durationTicks: 5n * 60n * 10_000_000n,
        tags: ['a'],
        payload,
      }),
    );
    const expected = handMade({
      key: 'clé',
      tags: ['a'],
      payload,
      created: NOW,
      duration: 5n * 60n * 10_000_000n,
    });
    expect(written.subarray(0, 2)).toEqual(Buffer.of(0x03, 0x01));
    expect(Buffer.concat([written.subarray(0, 2), written.subarray(4)]).toString('hex')).toBe(
      Buffer.concat([expected.subarray(0, 2), expected.subarray(4)]).toString('hex'),
    );
  });

  test('another key, another format, truncation, extra bytes, a bad trailing sentinel and expiry are refused by name', () => {
    const entry = handMade({
      key: 'k',
      tags: ['t'],
      payload: Buffer.from('value'),
      created: NOW,
      duration: HOUR,
    });
    expect(readHybridPayload(entry, 'other', NOW).rejection).toBe('invalid-key');
    expect(
      readHybridPayload(Buffer.concat([Buffer.of(0x04, 0x01), entry.subarray(2)]), 'k', NOW).rejection,
    ).toBe('format-not-recognized');
    expect(
      readHybridPayload(Buffer.concat([Buffer.of(0x03, 0x03), entry.subarray(2)]), 'k', NOW).rejection,
    ).toBe('format-not-recognized');
    for (let length = 0; length < entry.length; length++) {
      expect(readHybridPayload(entry.subarray(0, length), 'k', NOW).entry).toBeUndefined();
    }
    expect(readHybridPayload(Buffer.concat([entry, Buffer.of(0)]), 'k', NOW).rejection).toBe('invalid-data');
    const badTrailer = Buffer.from(entry);
    badTrailer[badTrailer.length - 1] = 0x02;
    expect(readHybridPayload(badTrailer, 'k', NOW).rejection).toBe('invalid-data');
    // Expired when creation + duration <= now.
    expect(readHybridPayload(entry, 'k', NOW + HOUR).rejection).toBe('expired');
    expect(readHybridPayload(entry, 'k', NOW + HOUR - 1n).entry).toBeDefined();
  });
});
