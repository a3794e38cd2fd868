import { createHash } from 'node:crypto';
import { type ClaimsIdentity, ClaimTypes } from './claims.ts';
import type { ClaimsPrincipal } from './claims-principal.ts';
import { DotnetBinaryReader, DotnetBinaryWriter, MalformedBinaryError } from './dotnet-binary.ts';

const TOKEN_VERSION = 0x01;
/** 128 bits of randomness shared by a cookie token and the request tokens made from it. */
export const SECURITY_TOKEN_BYTES = 16;
/** A SHA-256 of the user's identifying claims. */
const CLAIM_UID_BYTES = 32;
const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';

/** ASP.NET Core's AntiforgeryToken: a cookie token, or a request token bound to a user. */
export interface AntiforgeryToken {
  securityToken: Uint8Array;
  isCookieToken: boolean;
  /** A request token's user, when it is bound to a SHA-256 of the user's identifying claims. */
  claimUid: Uint8Array | undefined;
  /** A request token's user by name ("" for an anonymous one), when not bound by claims. */
  username: string;
  additionalData: string;
}

/**
 * The bytes DefaultAntiforgeryTokenSerializer writes before protection: version 1, the security token, the
 * cookie-token flag; a request token then its claims flag, the 32-byte claim UID or the username, and the
 * additional data (strings as .NET's BinaryWriter writes them).
 */
export function serializeAntiforgeryToken(token: AntiforgeryToken): Uint8Array {
  const writer = new DotnetBinaryWriter();
  writer.raw(Uint8Array.of(TOKEN_VERSION));
  writer.raw(token.securityToken);
  writer.boolean(token.isCookieToken);
  if (!token.isCookieToken) {
    writer.boolean(token.claimUid !== undefined);
    if (token.claimUid !== undefined) writer.raw(token.claimUid);
    else writer.string(token.username);
    writer.string(token.additionalData);
  }
  return writer.bytes();
}

/** The token in `bytes`, or undefined where .NET's reader finds none (another version, too short, bytes left over). */
export function deserializeAntiforgeryToken(bytes: Uint8Array): AntiforgeryToken | undefined {
  try {
    const reader = new DotnetBinaryReader(bytes);
    if (reader.byte() !== TOKEN_VERSION) return undefined;
    const securityToken = reader.raw(SECURITY_TOKEN_BYTES);
    const isCookieToken = reader.byte() !== 0;
    const token: AntiforgeryToken = {
      securityToken,
      isCookieToken,
      claimUid: undefined,
      username: '',
      additionalData: '',
    };
    if (!isCookieToken) {
      if (reader.byte() !== 0) token.claimUid = reader.raw(CLAIM_UID_BYTES);
      else token.username = reader.string();
      token.additionalData = reader.string();
    }
    return reader.remaining === 0 ? token : undefined;
  } catch (error) {
    if (error instanceof MalformedBinaryError) return undefined;
    throw error;
  }
}

/** The first identity that is authenticated, as the antiforgery generator picks it. */
export function authenticatedIdentity(user: ClaimsPrincipal | undefined): ClaimsIdentity | undefined {
  return user?.identities.find((identity) => identity.authenticationType !== undefined);
}

/**
 * DefaultClaimUidExtractor's claim UID: SHA-256 over the (type, value, issuer) of the first `sub`,
 * NameIdentifier or UPN claim of the first authenticated identity that has one, else of every claim of the
 * authenticated identities sorted by type; undefined when they have no claims.
 */
export function claimUidOf(user: ClaimsPrincipal | undefined): Uint8Array | undefined {
  const identities = user?.identities.filter((identity) => identity.authenticationType !== undefined) ?? [];
  let parameters: string[] | undefined;
  for (const identity of identities) {
    for (const type of ['sub', ClaimTypes.NameIdentifier, UPN]) {
      // Types compared exactly here (ordinal), unlike FindFirst(type).
      const claim = identity.claims.find((candidate) => candidate.type === type);
      if (claim !== undefined && claim.value !== '') {
        parameters = [claim.type, claim.value, claim.issuer];
        break;
      }
    }
    if (parameters !== undefined) break;
  }
  if (parameters === undefined) {
    const claims = identities.flatMap((identity) => identity.claims);
    if (claims.length === 0) return undefined;
    // A stable sort by ordinal type, as List.Sort with string.CompareOrdinal (equal types keep no defined
    // order in .NET; in practice identities carry one claim of a type that would decide this).
    claims.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    parameters = claims.flatMap((claim) => [claim.type, claim.value, claim.issuer]);
  }
  const writer = new DotnetBinaryWriter();
  for (const parameter of parameters) writer.string(parameter);
  return new Uint8Array(createHash('sha256').update(writer.bytes()).digest());
}
