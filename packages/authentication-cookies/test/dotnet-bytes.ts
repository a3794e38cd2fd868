// Bytes as .NET's BinaryWriter writes them, for known-answer tickets assembled by hand from FORMATS.md §7b.
import { ClaimTypes } from '@sharedstate/authentication-cookies';

/** ASP.NET Core's purposes, as FORMATS.md gives them (not from the package's constants, which they check). */
export const COOKIE_AUTHENTICATION_PURPOSE =
  'Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware';
export const ANTIFORGERY_PURPOSE = 'Microsoft.AspNetCore.Antiforgery.AntiforgeryToken.v1';

export const int32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(value);
  return bytes;
};
/** A .NET BinaryWriter string whose UTF-8 length is under 128: one length byte. */
export const short = (text: string) => {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length >= 128) throw new Error('use the 7-bit groups');
  return Buffer.concat([Buffer.of(bytes.length), bytes]);
};
export const DEFAULT = short('\0');
export const FALSE = Buffer.of(0);
export const TRUE = Buffer.of(1);

/**
 * The ticket ASP.NET Core writes for the usual sign-in: `new ClaimsIdentity(claims, "Cookies")` with a Name
 * claim and Role claims (all with .NET's defaults for value type and issuer), scheme "Cookies", and the
 * properties' items in the order given.
 */
export function usualSignInTicket(name: string, roles: string[], items: [string, string][]): Buffer {
  const claims = [
    // The Name claim is of the identity's name claim type: written as "\0".
    Buffer.concat([DEFAULT, short(name), DEFAULT, DEFAULT, DEFAULT, int32(0)]),
    ...roles.map((role) =>
      Buffer.concat([short(ClaimTypes.Role), short(role), DEFAULT, DEFAULT, DEFAULT, int32(0)]),
    ),
  ];
  return Buffer.concat([
    int32(5),
    short('Cookies'),
    int32(1),
    short('Cookies'),
    DEFAULT,
    DEFAULT,
    int32(claims.length),
    ...claims,
    FALSE,
    FALSE,
    int32(1),
    int32(items.length),
    ...items.flatMap(([key, value]) => [short(key), short(value)]),
  ]);
}
