import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { type ComparisonRow, comparePairs } from './report.ts';

/**
 * The floor: the same algorithm (SP800-108 KDF with HMAC-SHA512, AES-256-CBC, HMAC-SHA256) written
 * straight against node:crypto, with a fixed key, no key ring, no purposes to encode and no payload parsing.
 * It uses KeyObjects as the library does (node:crypto is several times faster with them than with Buffer
 * keys), so the ratio measures the library's own overhead, not that quirk.
 */
function minimalBaseline() {
  const masterKey = createSecretKey(randomBytes(64));
  const label = randomBytes(60);
  const contextHeader = randomBytes(66);
  const kdf = (keyModifier: Buffer) => {
    const context = Buffer.concat([contextHeader, keyModifier]);
    const out = Buffer.alloc(64);
    const block = createHmac('sha512', masterKey)
      .update(Buffer.from([0, 0, 0, 1]))
      .update(label)
      .update(Buffer.from([0]))
      .update(context)
      .update(Buffer.from([0, 0, 2, 0]))
      .digest();
    block.copy(out);
    return out;
  };
  const protect = (plaintext: Buffer) => {
    const keyModifier = randomBytes(16);
    const iv = randomBytes(16);
    const keys = kdf(keyModifier);
    const cipher = createCipheriv('aes-256-cbc', createSecretKey(keys.subarray(0, 32)), iv);
    const c = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const mac = createHmac('sha256', createSecretKey(keys.subarray(32)))
      .update(iv)
      .update(c)
      .digest();
    return Buffer.concat([keyModifier, iv, c, mac]);
  };
  const unprotect = (body: Buffer) => {
    const keys = kdf(body.subarray(0, 16));
    const macStart = body.length - 32;
    const mac = createHmac('sha256', createSecretKey(keys.subarray(32)))
      .update(body.subarray(16, macStart))
      .digest();
    if (!timingSafeEqual(mac, body.subarray(macStart))) throw new Error('bad mac');
    const decipher = createDecipheriv(
      'aes-256-cbc',
      createSecretKey(keys.subarray(0, 32)),
      body.subarray(16, 32),
    );
    return Buffer.concat([decipher.update(body.subarray(32, macStart)), decipher.final()]);
  };
  return { protect, unprotect };
}

/** protect + unprotect of a 36-byte payload (a session key) beside the same algorithm with nothing around it. */
export async function run(): Promise<ComparisonRow[]> {
  const provider = createDataProtection({
    applicationName: 'bench',
    repository: new EphemeralXmlRepository(),
  });
  const protector = provider.createProtector('SessionMiddleware');
  await provider.initialize();
  const plaintext = Buffer.from('382c74c3-721d-4f34-80e5-57657b6cbc27');
  const baseline = minimalBaseline();
  return comparePairs('data protection', [
    {
      operation: 'protect + unprotect, 36 bytes',
      ours: {
        name: 'DataProtector',
        fn: async () => protector.unprotect(await protector.protect(plaintext)),
      },
      baseline: {
        name: 'node:crypto KDF+CBC+HMAC',
        fn: async () => baseline.unprotect(baseline.protect(plaintext)),
      },
      target: 0.85,
    },
  ]);
}
