import { tailDigest, UnprotectedCookieCache } from '../src/unprotected-cookie-cache.ts';

const cookie = (tail: string) => `CfDJ8${'A'.repeat(140)}${tail}`;

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Two distinct cookie values that fall in the same slot, found by trying tails from a fixed sequence. */
function sameSlotPair(): [string, string] {
  const bySlot = new Map<number, string>();
  let state = 1;
  for (let i = 0; i < 2_000_000; i++) {
    let tail = '';
    for (let c = 0; c < 8; c++) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      tail += BASE64[state >>> 26];
    }
    const value = cookie(tail);
    const slot = tailDigest(value);
    const earlier = bySlot.get(slot);
    if (earlier !== undefined && earlier !== value) return [earlier, value];
    bySlot.set(slot, value);
  }
  throw new Error('no two values in the same slot');
}

describe('UnprotectedCookieCache', () => {
  test('answers only for the exact value that was stored, until its time is up', () => {
    const cache = new UnprotectedCookieCache(10, 1_000);
    cache.set(cookie('tail0001'), 'key-1', 'key-id', 0);
    expect(cache.get(cookie('tail0001'), 999)).toBe('key-1');
    // Same tail, different value: never another value's key.
    expect(cache.get(`X${cookie('tail0001').slice(1)}`, 0)).toBeUndefined();
    expect(cache.get(cookie('tail0002'), 0)).toBeUndefined();
    expect(cache.get(cookie('tail0001'), 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('a wall clock set back does not keep a value past its time (the monotonic clock counts)', () => {
    jest.useFakeTimers();
    try {
      const cache = new UnprotectedCookieCache(10, 60_000);
      cache.set(cookie('tail0001'), 'key-1', 'key-id');
      jest.advanceTimersByTime(30_000);
      expect(cache.get(cookie('tail0001'))).toBe('key-1');
      // An hour back on the wall clock; 31 s later on the monotonic one the minute is up.
      jest.setSystemTime(Date.now() - 3_600_000);
      jest.advanceTimersByTime(31_000);
      expect(cache.get(cookie('tail0001'))).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  test('values short or empty work too', () => {
    const cache = new UnprotectedCookieCache();
    cache.set('a', 'key-a', 'key-id');
    cache.set('', 'key-empty', 'key-id');
    expect(cache.get('a')).toBe('key-a');
    expect(cache.get('')).toBe('key-empty');
  });

  test('two values sharing a slot: the later replaces the earlier, which is unprotected again', () => {
    const [first, second] = sameSlotPair();
    expect(first).not.toBe(second);
    const cache = new UnprotectedCookieCache();
    cache.set(first, 'key-1', 'key-id');
    cache.set(second, 'key-2', 'key-id');
    expect(cache.get(first)).toBeUndefined();
    expect(cache.get(second)).toBe('key-2');
    // Forgetting the earlier value leaves the later one's entry alone.
    cache.delete(first);
    expect(cache.get(second)).toBe('key-2');
    cache.delete(second);
    expect(cache.get(second)).toBeUndefined();
  });

  test('holds at most maxEntries, dropping the oldest first', () => {
    const cache = new UnprotectedCookieCache(3);
    for (let i = 0; i < 5; i++) cache.set(cookie(`value00${i}`), `key-${i}`, 'key-id');
    expect(cache.size).toBe(3);
    expect(cache.get(cookie('value000'))).toBeUndefined();
    expect(cache.get(cookie('value001'))).toBeUndefined();
    expect(cache.get(cookie('value004'))).toBe('key-4');
    // Setting a value again does not evict another.
    cache.set(cookie('value004'), 'key-4', 'key-id');
    expect(cache.get(cookie('value002'))).toBe('key-2');
  });
});

test('forgetKeysWhere drops exactly the cookies protected with the selected keys', () => {
  const cache = new UnprotectedCookieCache();
  cache.set('cookie-a', 'session-a', 'revoked-key');
  cache.set('cookie-b', 'session-b', 'kept-key');
  cache.forgetKeysWhere((keyId) => keyId === 'revoked-key');
  expect(cache.get('cookie-a')).toBeUndefined();
  expect(cache.get('cookie-b')).toBe('session-b');
});
