// Known-answer vectors from FORMATS.md §8. They are the contract with ASP.NET Core: if one fails, the
// code is wrong, not the vector.
import {
  buildAad,
  bytesToGuid,
  CbcHmacAuthenticatedEncryptor,
  cbcContextHeader,
  cipherParameters,
  deriveKey,
  GcmAuthenticatedEncryptor,
  gcmContextHeader,
  guidToBytes,
  hashParameters,
  type RandomSource,
} from './building-blocks.ts';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** ASP.NET Core's SequentialGenRandom: 00, 01, 02, ... continuing across calls. */
function sequentialRandom(): RandomSource {
  let next = 0;
  return (length) => Uint8Array.from({ length }, () => next++ & 0xff);
}

describe('SP800-108 CTR HMAC-SHA512 (§8.1)', () => {
  const label = utf8('label');
  const context = utf8('contextHeadercontext');
  const bigKdk = Uint8Array.from({ length: 50_000 }, (_, i) => i % 256);
  test.each([
    ['kdk', 63, 'V47WmHzPSkdC2vkLAomIjCzZlDOAetll3yJLcSvon7LJFjJpEN+KnSNp+gIpeydKMsENkflbrIZ/3s6GkEaH'],
    ['kdk', 64, 'mVaFM4deXLl610CmnCteNzxgbM/VkmKznAlPauHcDBn0le06uOjAKLHx0LfoU2/Ttq9nd78Y6Nk6wArmdwJgJg=='],
    ['kdk', 65, 'GaHPeqdUxriFpjRtkYQYWr5/iqneD/+hPhVJQt4rXblxSpB1UUqGqL00DMU/FJkX0iMCfqUjQXtXyfks+p++Ev4='],
    ['big', 63, 'rt2hM6kkQ8hAXmkHx0TU4o3Q+S7fie6b3S1LAq107k++P9v8uSYA2G+WX3pJf9ZkpYrTKD7WUIoLkgA1R9lk'],
    ['big', 64, 'RKiXmHSrWq5gkiRSyNZWNJrMR0jDyYHJMt9odOayRAE5wLSX2caINpQmfzTH7voJQi3tbn5MmD//dcspghfBiw=='],
    ['big', 65, 'KedXO0zAIZ3AfnPqY1NnXxpC3HDHIxefG4bwD3g6nWYEc5+q7pjbam71Yqj0zgHMNC9Z7BX3wS1/tajFocRWZUk='],
  ])('kdk %s, %i bytes', (kdk, length, expected) => {
    const key = kdk === 'kdk' ? utf8('kdk') : bigKdk;
    expect(deriveKey(key, label, context, length).toString('base64')).toBe(expected);
  });

  test.each([
    [
      56,
      '5bb6c9831378221d8e1073cacf658eb061624271cb8321dda04a05005babc0a2496fa561e3e24987aa6355cd740adac4b7923dbf599000a9',
    ],
    [32, '22bc6f1b171c08c4ae2f27444af8fc8b3087a90006caea91fdcfb47c1b8733b8'],
    [44, 'a219602f83a913eab0613a39b8a67e2261d9f86c1051e2bbdc4a00d703a2483ed1f75a34eb283ed7d467b464'],
  ])('empty key, label and context, %i bytes', (length, expected) => {
    const empty = new Uint8Array(0);
    expect(hex(deriveKey(empty, empty, empty, length))).toBe(expected);
  });
});

describe('context headers (§8.2)', () => {
  test.each([
    ['AES_128_GCM', '0001000000100000000c0000001000000010957c50ff692e388b9ad5c7689e4b9e2b'],
    ['AES_192_GCM', '0001000000180000000c00000010000000100daa013a950ada2b798f5ff272fad363'],
    ['AES_256_GCM', '0001000000200000000c0000001000000010e7dcce66df855a323a6bb7bd7a59be45'],
  ] as const)('%s', (algorithm, expected) => {
    expect(hex(gcmContextHeader(cipherParameters(algorithm)))).toBe(expected);
  });

  test.each([
    [
      'AES_192_CBC',
      'HMACSHA256',
      '000000000018000000100000002000000020f474b1872b3b53e4721de19c0841db6fd4791184b996092ee1202f36e8608fa8fbd98abdff5402f264b1d7211536220c',
    ],
    [
      'AES_128_CBC',
      'HMACSHA256',
      '0000000000100000001000000020000000204d199260677dcd65eee55e807b9695128602e399bed6f9779a66796276ff025688001bdb49cc4a7f8f7a192bcd48f4e7',
    ],
    [
      'AES_256_CBC',
      'HMACSHA256',
      '000000000020000000100000002000000020ea10387ac9273b7fd5321177776f1530f946d3c71d60dd7b287366d81cb03fe5e5a701fa16f1554f1581fddd576ce844',
    ],
    [
      'AES_128_CBC',
      'HMACSHA512',
      '0000000000100000001000000040000000409ab81ced848b6863d00ae7123a29c0187652c7419c28e39900570ad167d80698fc0807982bb1b2c198229631fcbbaec7f0aff234b37ac7e4df163da0219581299cc00a62952ddab6e08e5187564fa678',
    ],
    [
      'AES_192_CBC',
      'HMACSHA512',
      '000000000018000000100000004000000040efe457e327fede5c0e0c0c3cbb0868c36e8a6d2b27a0c59ff71e3f411ba769106307ef61e1221ab6dd608e52d4c147850a433c2975a9c7585c9cf109529c401df351b09db4e97b4c03478f23d2f95262',
    ],
    [
      'AES_256_CBC',
      'HMACSHA512',
      '000000000020000000100000004000000040376e17e169255362126076f9d90392039348c1b5a269a82f77bdbb68a38939e4b9c5c51277112840ae4ba315212c956a4d1f4bd74b0cdf5057b0e2d4ae5a014f5cf059f15ae95e484742e70707dd17d9',
    ],
  ] as const)('%s + %s', (encryption, validation, expected) => {
    expect(hex(cbcContextHeader(cipherParameters(encryption), hashParameters(validation)))).toBe(expected);
  });
});

describe('authenticated encryptors (§8.3)', () => {
  const kdk = utf8('master key');
  const plaintext = Uint8Array.of(2, 3, 4);
  const aad = Uint8Array.of(6, 5, 4, 3);

  test('AES-256-CBC + HMACSHA256 produces the upstream bytes and decrypts them', () => {
    const encryptor = new CbcHmacAuthenticatedEncryptor(kdk, 'AES_256_CBC', 'HMACSHA256', sequentialRandom());
    const body = encryptor.encrypt(plaintext, aad);
    expect(body.toString('base64')).toBe(
      'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+36j4yWJOjBgOJxmYDYwhLnYqFxw+9mNh/cudyPrWmJmw4d/dmGaLJLLut2udiAAA=',
    );
    expect([...encryptor.decrypt(body, aad)]).toEqual([2, 3, 4]);
  });

  test('AES-128-GCM produces the upstream bytes and decrypts them', () => {
    const encryptor = new GcmAuthenticatedEncryptor(kdk, 'AES_128_GCM', sequentialRandom());
    const body = encryptor.encrypt(plaintext, aad);
    expect(hex(body)).toBe(
      Buffer.from('AAAAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaG0O2kY0NZtmh2UQtXY5B2jlgnOgAAAAA', 'base64')
        .subarray(3, -4)
        .toString('hex'),
    );
    expect([...encryptor.decrypt(body, aad)]).toEqual([2, 3, 4]);
  });
});

describe('AAD construction (§8.4)', () => {
  test('the upstream template with multi-byte UTF-8 and a two-byte length prefix', () => {
    const long =
      'CfDJ8H5oH_fp1QNBmvs-OWXxsVoV30hrXeI4-PI4p1VZytjsgd0DTstMdtTZbFtm2dKHvsBlDCv7TiEWKztZf8fb48pUgBgUE2SeYV3eOUXvSfNWU0D8SmHLy5KEnwKKkZKqudDhCnjQSIU7mhDliJJN1e4';
    const aad = buildAad('00000000-0000-0000-0000-000000000000', [
      'my sample string',
      '©®±µ¶',
      'my other sample string',
      long,
      '.',
    ]);
    expect(aad.toString('base64')).toBe(
      'CfDJ8AAAAAAAAAAAAAAAAAAAAAAAAAAFEG15IHNhbXBsZSBzdHJpbmcKwqnCrsKxwrXCthZteSBvdGhlciBzYW1wbGUgc3RyaW5nmwFDZkRKOEg1b0hfZnAxUU5CbXZzLU9XWHhzVm9WMzBoclhlSTQtUEk0cDFWWnl0anNnZDBEVHN0TWR0VFpiRnRtMmRLSHZzQmxEQ3Y3VGlFV0t6dFpmOGZiNDhwVWdCZ1VFMlNlWVYzZU9VWHZTZk5XVTBEOFNtSEx5NUtFbndLS2taS3F1ZERoQ25qUVNJVTdtaERsaUpKTjFlNAEu',
    );
  });

  test.each([
    [
      ['purpose1', 'purpose2', 'yet another purpose'],
      '09f0c9f0cec973ba22d3454eaf90341307e11c380000000308707572706f73653108707572706f7365321379657420616e6f7468657220707572706f7365',
    ],
    [['single purpose'], '09f0c9f0cec973ba22d3454eaf90341307e11c38000000010e73696e676c6520707572706f7365'],
  ])('purposes %j', (purposes, expected) => {
    expect(hex(buildAad('ba73c9ce-d322-4e45-af90-341307e11c38', purposes))).toBe(expected);
  });

  test('an unpaired surrogate in a purpose is refused, as .NET strict UTF-8 does', () => {
    expect(() => buildAad('ba73c9ce-d322-4e45-af90-341307e11c38', ['bad \ud800'])).toThrow(/surrogate/);
  });
});

describe('GUID byte order (§1.2)', () => {
  test('key ids are written in .NET Guid.ToByteArray order and read back', () => {
    expect(hex(guidToBytes('3d6d01fd-c0e7-44ae-82dd-013b996b4093'))).toBe('fd016d3de7c0ae4482dd013b996b4093');
    expect(bytesToGuid(Buffer.from('fd016d3de7c0ae4482dd013b996b4093', 'hex'))).toBe(
      '3d6d01fd-c0e7-44ae-82dd-013b996b4093',
    );
  });
});
