// Random, truncated and bit-flipped payloads must only ever produce the typed errors: never a crash, a
// hang, a plain Error or, worst, a successful unprotect of altered data.
import { createDataProtection, EphemeralXmlRepository, PayloadError } from '@sharedstate/dataprotection-core';
import fc from 'fast-check';

const provider = createDataProtection({ applicationName: 'fuzz', repository: new EphemeralXmlRepository() });
const protector = provider.createProtector('property');
const gcmProvider = createDataProtection({
  applicationName: 'fuzz',
  repository: new EphemeralXmlRepository(),
  algorithms: { encryption: 'AES_256_GCM' },
});
const gcmProtector = gcmProvider.createProtector('property');

async function expectTypedRejection(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof PayloadError) return;
    throw new Error(`unprotect threw a non-PayloadError: ${String(error)}`);
  }
  throw new Error('unprotect accepted a payload it should have refused');
}

describe('unprotect of untrusted input', () => {
  let good: Uint8Array;
  let goodGcm: Uint8Array;
  beforeAll(async () => {
    good = await protector.protect(Buffer.from('the real session key'));
    goodGcm = await gcmProtector.protect(Buffer.from('the real session key'));
  });

  test('random bytes, including ones that start with the magic header', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, withHeader) => {
        const payload = withHeader
          ? Buffer.concat([Buffer.from(good.subarray(0, 20)), bytes])
          : Buffer.from(bytes);
        await expectTypedRejection(() => protector.unprotect(payload));
      }),
      { numRuns: 3_000 },
    );
  });

  test('truncated payloads', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: good.length - 1 }), async (length) => {
        await expectTypedRejection(() => protector.unprotect(good.subarray(0, length)));
      }),
      { numRuns: 1_000 },
    );
  });

  test('single and multiple bit flips anywhere, CBC and GCM', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (flips, gcm) => {
          const original = gcm ? goodGcm : good;
          const payload = Buffer.from(original);
          for (const [position, bit] of flips) payload[position % payload.length]! ^= 1 << bit;
          if (payload.equals(Buffer.from(original))) return; // flips cancelled out
          await expectTypedRejection(() => (gcm ? gcmProtector : protector).unprotect(payload));
        },
      ),
      { numRuns: 4_000 },
    );
  });

  test('arbitrary strings through the string API', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        await expectTypedRejection(() => protector.unprotect(text));
      }),
      { numRuns: 2_000 },
    );
  });

  test('the untouched payload still unprotects (the properties above are not vacuous)', async () => {
    expect(Buffer.from(await protector.unprotect(good)).toString()).toBe('the real session key');
    expect(Buffer.from(await gcmProtector.unprotect(goodGcm)).toString()).toBe('the real session key');
  });
});
