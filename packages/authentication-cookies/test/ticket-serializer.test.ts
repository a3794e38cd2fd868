// ASP.NET Core's authentication ticket (TicketSerializer format 5, PropertiesSerializer format 1), as
// FORMATS.md §7b and dotnet/aspnetcore's TicketSerializer.cs give it: known-answer bytes assembled by hand
// from those rules, the defaults written as "\0", 7-bit length prefixes, and bytes that are no ticket.
import {
  type AuthenticationTicket,
  type ClaimsIdentity,
  ClaimTypes,
  DEFAULT_ISSUER,
  DEFAULT_NAME_CLAIM_TYPE,
  DEFAULT_ROLE_CLAIM_TYPE,
  deserializeTicket,
  STRING_VALUE_TYPE,
  serializeTicket,
} from '@sharedstate/authentication-cookies';
import { DEFAULT, FALSE, int32, short, TRUE } from './dotnet-bytes.ts';

const identity = (overrides: Partial<ClaimsIdentity> = {}): ClaimsIdentity => ({
  authenticationType: 'Cookies',
  nameClaimType: DEFAULT_NAME_CLAIM_TYPE,
  roleClaimType: DEFAULT_ROLE_CLAIM_TYPE,
  claims: [],
  bootstrapContext: undefined,
  actor: undefined,
  ...overrides,
});
const claim = (type: string, value: string, issuer = DEFAULT_ISSUER) => ({
  type,
  value,
  valueType: STRING_VALUE_TYPE,
  issuer,
  originalIssuer: issuer,
  properties: [] as [string, string][],
});

describe('TicketSerializer format 5', () => {
  test('a sign-in with defaults everywhere writes "\\0" for each default, byte for byte', () => {
    const ticket: AuthenticationTicket = {
      scheme: 'Cookies',
      identities: [identity({ claims: [claim(ClaimTypes.Name, 'ada')] })],
      items: [['.issued', 'Sun, 06 Dec 2026 10:00:00 GMT']],
    };
    const expected = Buffer.concat([
      int32(5),
      short('Cookies'),
      int32(1),
      // identity: authentication type, then the name and role claim types at their defaults
      short('Cookies'),
      DEFAULT,
      DEFAULT,
      int32(1),
      // claim: type (the identity's name claim type), value, value type, issuer, original issuer
      DEFAULT,
      short('ada'),
      DEFAULT,
      DEFAULT,
      DEFAULT,
      int32(0),
      FALSE, // no bootstrap context
      FALSE, // no actor
      // properties
      int32(1),
      int32(1),
      short('.issued'),
      short('Sun, 06 Dec 2026 10:00:00 GMT'),
    ]);
    expect(Buffer.from(serializeTicket(ticket)).toString('hex')).toBe(expected.toString('hex'));
    expect(deserializeTicket(expected)).toEqual(ticket);
  });

  test('every field away from its default is written out: claim types, issuers, properties, bootstrap, actor', () => {
    const actor = identity({
      authenticationType: 'Impersonation',
      claims: [claim(ClaimTypes.Name, 'support')],
    });
    const ticket: AuthenticationTicket = {
      scheme: 'External',
      identities: [
        identity({
          authenticationType: undefined,
          nameClaimType: ClaimTypes.Email,
          roleClaimType: 'roles',
          claims: [
            {
              type: ClaimTypes.Role,
              value: 'admin',
              valueType: 'http://www.w3.org/2001/XMLSchema#boolean',
              issuer: 'https://login.example',
              originalIssuer: 'https://idp.example',
              properties: [['source', 'idp']],
            },
            claim(ClaimTypes.Email, 'ada@example.com', 'https://login.example'),
          ],
          bootstrapContext: 'raw-token',
          actor,
        }),
      ],
      items: [
        ['.persistent', ''],
        ['.Token.access_token', 'abc'],
      ],
    };
    const expected = Buffer.concat([
      int32(5),
      short('External'),
      int32(1),
      short(''), // a null authentication type
      short(ClaimTypes.Email),
      short('roles'),
      int32(2),
      short(ClaimTypes.Role),
      short('admin'),
      short('http://www.w3.org/2001/XMLSchema#boolean'),
      short('https://login.example'),
      short('https://idp.example'),
      int32(1),
      short('source'),
      short('idp'),
      // the identity's own name claim type is the default for its claims' type; the original issuer's
      // default is the issuer
      DEFAULT,
      short('ada@example.com'),
      DEFAULT,
      short('https://login.example'),
      DEFAULT,
      int32(0),
      TRUE,
      short('raw-token'),
      TRUE,
      short('Impersonation'),
      DEFAULT,
      DEFAULT,
      int32(1),
      DEFAULT,
      short('support'),
      DEFAULT,
      DEFAULT,
      DEFAULT,
      int32(0),
      FALSE,
      FALSE,
      int32(1),
      int32(2),
      short('.persistent'),
      short(''),
      short('.Token.access_token'),
      short('abc'),
    ]);
    expect(Buffer.from(serializeTicket(ticket)).toString('hex')).toBe(expected.toString('hex'));
    expect(deserializeTicket(expected)).toEqual(ticket);
  });

  test('string lengths past 127 and 16,383 bytes take two and three 7-bit groups; Unicode counts in UTF-8 bytes', () => {
    for (const [value, prefix] of [
      ['x'.repeat(127), [0x7f]],
      ['x'.repeat(128), [0x80, 0x01]],
      ['x'.repeat(16_383), [0xff, 0x7f]],
      ['x'.repeat(16_384), [0x80, 0x80, 0x01]],
      ['Zoë 😀', [9]],
    ] as const) {
      const ticket: AuthenticationTicket = { scheme: value, identities: [], items: [] };
      const bytes = Buffer.from(serializeTicket(ticket));
      expect([...bytes.subarray(4, 4 + prefix.length)]).toEqual(prefix);
      expect(deserializeTicket(bytes)).toEqual(ticket);
    }
  });

  test('bytes that are no ticket read as none: another version, truncated, impossible counts, a key twice', () => {
    const good = serializeTicket({
      scheme: 'Cookies',
      identities: [identity({ claims: [claim(ClaimTypes.Name, 'ada')] })],
      items: [['.issued', 'x']],
    });
    const other = Buffer.from(good);
    other.writeInt32LE(4, 0);
    expect(deserializeTicket(other)).toBeUndefined();
    for (let length = 0; length < good.length; length++)
      expect(deserializeTicket(good.subarray(0, length))).toBeUndefined();
    const hugeCount = Buffer.concat([int32(5), short('Cookies'), int32(0x7fffffff)]);
    expect(deserializeTicket(hugeCount)).toBeUndefined();
    const negative = Buffer.concat([int32(5), short('Cookies'), int32(-1)]);
    expect(deserializeTicket(negative)).toBeUndefined();
    const twice = Buffer.concat([
      int32(5),
      short('C'),
      int32(0),
      int32(1),
      int32(2),
      short('a'),
      short('1'),
      short('a'),
      short('2'),
    ]);
    expect(deserializeTicket(twice)).toBeUndefined();
    const badBoolean = Buffer.from(good);
    // The identity's bootstrap flag: after the claim's last field (its property count).
    const flag = good.length - (4 + 4 + short('.issued').length + short('x').length) - 2;
    badBoolean[flag] = 7;
    expect(deserializeTicket(badBoolean)).toBeUndefined();
  });

  test('actors nest 16 deep at most: one level more is no ticket (a payload that would recurse without end)', () => {
    const nested = (depth: number): ClaimsIdentity =>
      identity({
        claims: [claim(ClaimTypes.Name, `level ${depth}`)],
        actor: depth === 0 ? undefined : nested(depth - 1),
      });
    const ticket = (actors: number): AuthenticationTicket => ({
      scheme: 'Cookies',
      identities: [nested(actors)],
      items: [],
    });
    expect(deserializeTicket(serializeTicket(ticket(16)))).toEqual(ticket(16));
    expect(deserializeTicket(serializeTicket(ticket(17)))).toBeUndefined();
  });
});
