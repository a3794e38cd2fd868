import { expiresAtAfterTouch, resolveEntryOptions } from '@sharedstate/caching-abstractions';

const now = Date.UTC(2030, 0, 1);

describe('resolveEntryOptions', () => {
  test('a relative expiration wins over an absolute one, as in ASP.NET Core', () => {
    const resolved = resolveEntryOptions(
      { absoluteExpiration: new Date(now + 10_000), absoluteExpirationRelativeToNow: '1m' },
      now,
    );
    expect(resolved.absoluteExpiresAt).toBe(now + 60_000);
  });

  test('an absolute expiration equal to now is rejected', () => {
    expect(() => resolveEntryOptions({ absoluteExpiration: new Date(now) }, now)).toThrow(/in the future/);
  });

  test('an invalid Date is rejected', () => {
    expect(() => resolveEntryOptions({ absoluteExpiration: new Date('nope') }, now)).toThrow(/valid Date/);
  });

  test('the sliding window is capped by the absolute expiration', () => {
    const resolved = resolveEntryOptions(
      { slidingExpiration: '10m', absoluteExpirationRelativeToNow: '15m' },
      now,
    );
    expect(expiresAtAfterTouch(resolved, now)).toBe(now + 600_000);
    expect(expiresAtAfterTouch(resolved, now + 600_000)).toBe(now + 900_000);
  });

  test('no options means no expiration', () => {
    expect(expiresAtAfterTouch(resolveEntryOptions(undefined, now), now)).toBeUndefined();
  });
});
