import { parseDuration } from '../src/duration.ts';

class OptionError extends Error {}

describe('parseDuration', () => {
  test.each([
    [1500, 1500],
    ['500ms', 500],
    ['30s', 30_000],
    ['20m', 1_200_000],
    ['12h', 43_200_000],
    ['90d', 7_776_000_000],
    [' 2 days ', 172_800_000],
  ])('reads %p as %p milliseconds', (input, expected) => {
    expect(parseDuration(input, 'idleTimeout', OptionError)).toBe(expected);
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '', 'soon', '-5m', '0s'])(
    'rejects %p with an error naming the option',
    (input) => {
      expect(() => parseDuration(input, 'idleTimeout', OptionError)).toThrow(OptionError);
      expect(() => parseDuration(input, 'idleTimeout', OptionError)).toThrow(/idleTimeout/);
    },
  );
});
