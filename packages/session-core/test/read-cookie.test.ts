import { parse } from 'cookie';
import { readCookie } from '../src/cookie-header.ts';

const NAME = '.AspNetCore.Session';
const VALUE = `CfDJ8${'A'.repeat(40)}%2Bz`;

/** What the `cookie` package's parse, which readCookie replaced, reads for the name (values left as sent). */
const parsed = (header: string, name = NAME) => parse(header, { decode: (value) => value })[name];

describe('readCookie', () => {
  const headers: [string, string][] = [
    ['alone', `${NAME}=${VALUE}`],
    ['among others', `_ga=GA1.1.1; theme=dark; ${NAME}=${VALUE}; _gid=GA1.1.2`],
    ['first of two wins', `${NAME}=first; other=1; ${NAME}=second`],
    ['blanks trimmed', `a=1;\t ${NAME} \t=  ${VALUE}\t ;b=2`],
    ['no blanks after semicolons', `a=1;${NAME}=${VALUE};b=2`],
    ['a pair without = before it', `flag; ${NAME}=${VALUE}`],
    ['pairs without = around it', `x;y; ${NAME}=${VALUE};z`],
    ['empty value', `${NAME}=; b=2`],
    ['value with =', `${NAME}=a=b==; b=2`],
    ['quoted value left as sent', `${NAME}="${VALUE}"`],
    ['a longer name that starts with it', `${NAME}X=wrong; ${NAME}=${VALUE}`],
    ['a shorter name it starts with', `.AspNetCore=wrong; ${NAME}=${VALUE}`],
    ['the name inside a value', `a=${NAME}=wrong; b=2`],
    ['the name only in a value', `a=${NAME}=wrong`],
    ['absent', '_ga=GA1.1.1; theme=dark'],
    ['no = at all', 'justtext'],
    ['only semicolons', ';;;'],
    ['trailing semicolon', `${NAME}=${VALUE};`],
    ['empty', ''],
  ];

  test.each(headers)('reads the header as cookie.parse does: %s', (_case, header) => {
    expect(readCookie(header, NAME)).toBe(parsed(header));
  });

  test('finds the right value where it is expected', () => {
    expect(readCookie(`_ga=GA1.1.1; theme=dark; ${NAME}=${VALUE}; _gid=GA1.1.2`, NAME)).toBe(VALUE);
    expect(readCookie(`${NAME}=first; ${NAME}=second`, NAME)).toBe('first');
    expect(readCookie(`a=1;\t ${NAME} \t=  ${VALUE}\t ;b=2`, NAME)).toBe(VALUE);
    expect(readCookie(`a=${NAME}=wrong; b=2`, NAME)).toBeUndefined();
    expect(readCookie(undefined, NAME)).toBeUndefined();
  });

  test('agrees with cookie.parse on generated headers', () => {
    // A fixed sequence, so a failure reproduces: headers built from pieces that exercise every branch.
    const pieces = [NAME, 'sid', ' ', '\t', '=', ';', 'v', '"', NAME.slice(0, 5), 'x=y', `${NAME}=`];
    let state = 7;
    const next = (n: number) => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return (state >>> 16) % n;
    };
    for (let i = 0; i < 5_000; i++) {
      let header = '';
      for (let p = 0, count = 1 + next(12); p < count; p++) header += pieces[next(pieces.length)];
      expect([header, readCookie(header, NAME)]).toEqual([header, parsed(header)]);
      expect([header, readCookie(header, 'sid')]).toEqual([header, parsed(header, 'sid')]);
    }
  });
});
