import { refuseUnknownOptions, unknownOptionMessage } from '../src/unknown-options.ts';

const KNOWN = { cache: true, idleTimeout: true } as const;

describe('unknownOptionMessage', () => {
  test('names the first unknown option, with a hint for another library’s name or the valid names', () => {
    expect(
      unknownOptionMessage('session', { cache: 1, secret: 's' }, KNOWN, { secret: 'use the key ring' }),
    ).toBe("Unknown session option 'secret': use the key ring.");
    expect(unknownOptionMessage('session', { idleTimout: '5m' }, KNOWN)).toBe(
      "Unknown session option 'idleTimout': the options are cache, idleTimeout.",
    );
    expect(unknownOptionMessage('session', { maxAge: 1 }, KNOWN, {}, 'cookie.')).toMatch(/'cookie\.maxAge'/);
  });

  test('known names, and unknown ones set to undefined, pass', () => {
    expect(
      unknownOptionMessage('session', { cache: 1, idleTimeout: '5m', secret: undefined }, KNOWN),
    ).toBeUndefined();
    // A name that is also an Object.prototype member is unknown too, and takes no hint from the prototype.
    expect(unknownOptionMessage('session', { toString: 1 }, KNOWN)).toBe(
      "Unknown session option 'toString': the options are cache, idleTimeout.",
    );
  });
});

describe('refuseUnknownOptions', () => {
  class OptionError extends Error {}

  test("throws the caller's error class with the message, and passes known names", () => {
    expect(() =>
      refuseUnknownOptions(OptionError, 'RedisXmlRepository', { keyName: 'k' }, { key: true }),
    ).toThrow(new OptionError("Unknown RedisXmlRepository option 'keyName': the options are key."));
    expect(() => refuseUnknownOptions(OptionError, 'x', { key: 'k' }, { key: true })).not.toThrow();
  });
});
