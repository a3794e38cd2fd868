import {
  EphemeralXmlRepository,
  PayloadExpiredError,
  PayloadInvalidError,
} from '@sharedstate/dataprotection-core';
import { TIME_LIMITED_PURPOSE } from '../src/time-limited-data-protector.ts';
import { dateToTicks, ticksToDate } from './building-blocks.ts';
import { providerFor, TestClock } from './fixtures.ts';

const be64 = (ticks: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(ticks);
  return b.toString('hex');
};

describe('time-limited protector (§1.10, §8.5)', () => {
  test('the expiration header is .NET ticks, big-endian', () => {
    expect(be64(dateToTicks(new Date('2000-01-01T00:00:00Z')))).toBe('08c1220247e44000');
    expect(ticksToDate(0x2bca2875f4373fffn)).toBeUndefined();
  });

  test('the inner payload is header || plaintext under the extra purpose, readable by a plain protector', async () => {
    const clock = new TestClock(Date.UTC(1999, 0, 1));
    const provider = providerFor(new EphemeralXmlRepository(), { clock });
    const limited = provider.createProtector('outer').toTimeLimited().createProtector('new purpose');
    const payload = await limited.protect(Uint8Array.of(1, 2, 3, 4, 5), new Date('2000-01-01T00:00:00Z'));
    const plain = provider.createProtector('outer', 'new purpose', TIME_LIMITED_PURPOSE);
    expect(Buffer.from(await plain.unprotect(payload)).toString('hex')).toBe('08c1220247e440000102030405');
  });

  test('a payload with no expiration carries DateTimeOffset.MaxValue', async () => {
    const provider = providerFor(new EphemeralXmlRepository());
    const limited = provider.createProtector('p').toTimeLimited();
    const payload = await limited.protect(Uint8Array.of(9));
    const inner = await provider.createProtector('p', TIME_LIMITED_PURPOSE).unprotect(payload);
    expect(Buffer.from(inner).toString('hex')).toBe('2bca2875f4373fff09');
    expect((await limited.unprotectWithExpiration(payload)).expiration).toBeUndefined();
  });

  test('valid up to and including the expiration instant, expired one millisecond after', async () => {
    const clock = new TestClock();
    const limited = providerFor(new EphemeralXmlRepository(), { clock }).createProtector('p').toTimeLimited();
    const token = await limited.protect('ticket', { lifetime: '10m' });
    clock.advance(10 * 60_000);
    expect(await limited.unprotect(token)).toBe('ticket');
    clock.advance(1);
    await expect(limited.unprotect(token)).rejects.toThrow(PayloadExpiredError);
    await expect(limited.unprotect(token)).rejects.toThrow(/The payload expired at 2030-02-01T00:10:00.000Z/);
  });

  test('an inner payload shorter than the header is invalid', async () => {
    const provider = providerFor(new EphemeralXmlRepository());
    const short = await provider.createProtector('p', TIME_LIMITED_PURPOSE).protect(Uint8Array.of(1, 2, 3));
    await expect(provider.createProtector('p').toTimeLimited().unprotect(short)).rejects.toThrow(
      PayloadInvalidError,
    );
  });
});
