import {
  type AuthenticationItems,
  type AuthenticationTicket,
  type Claim,
  type ClaimsIdentity,
  DEFAULT_ISSUER,
  DEFAULT_NAME_CLAIM_TYPE,
  DEFAULT_ROLE_CLAIM_TYPE,
  STRING_VALUE_TYPE,
} from './claims.ts';
import { DotnetBinaryReader, DotnetBinaryWriter, MalformedBinaryError } from './dotnet-binary.ts';

const TICKET_FORMAT = 5;
const PROPERTIES_FORMAT = 1;
/** ASP.NET Core writes a string equal to its default as this one character. */
const DEFAULT_PLACEHOLDER = '\0';

/**
 * The bytes ASP.NET Core's TicketSerializer writes for `ticket` (format 5, before data protection): the
 * scheme, each identity (its claims, bootstrap context and actor), and the properties (PropertiesSerializer,
 * format 1), with strings equal to their .NET defaults written as "\0".
 */
export function serializeTicket(ticket: AuthenticationTicket): Uint8Array {
  const writer = new DotnetBinaryWriter();
  writer.int32(TICKET_FORMAT);
  writer.string(ticket.scheme);
  writer.int32(ticket.identities.length);
  for (const identity of ticket.identities) writeIdentity(writer, identity);
  writeItems(writer, ticket.items);
  return writer.bytes();
}

/**
 * The ticket in `bytes`, or undefined when they are not one ASP.NET Core could read: another format
 * version, a count past what the bytes can hold, or bytes that end early. Never throws.
 */
export function deserializeTicket(bytes: Uint8Array): AuthenticationTicket | undefined {
  try {
    const reader = new DotnetBinaryReader(bytes);
    if (reader.int32() !== TICKET_FORMAT) return undefined;
    const scheme = reader.string();
    const identities: ClaimsIdentity[] = [];
    const count = countOf(reader);
    for (let index = 0; index < count; index++) identities.push(readIdentity(reader, 0));
    const items = readItems(reader);
    if (items === undefined) return undefined;
    return { scheme, identities, items };
  } catch (error) {
    if (error instanceof MalformedBinaryError) return undefined;
    throw error;
  }
}

function writeWithDefault(writer: DotnetBinaryWriter, value: string, defaultValue: string): void {
  writer.string(value === defaultValue ? DEFAULT_PLACEHOLDER : value);
}

function readWithDefault(reader: DotnetBinaryReader, defaultValue: string): string {
  const value = reader.string();
  return value === DEFAULT_PLACEHOLDER ? defaultValue : value;
}

function writeIdentity(writer: DotnetBinaryWriter, identity: ClaimsIdentity): void {
  writer.string(identity.authenticationType ?? '');
  writeWithDefault(writer, identity.nameClaimType, DEFAULT_NAME_CLAIM_TYPE);
  writeWithDefault(writer, identity.roleClaimType, DEFAULT_ROLE_CLAIM_TYPE);
  writer.int32(identity.claims.length);
  for (const claim of identity.claims) writeClaim(writer, claim, identity.nameClaimType);
  // Only a non-empty string context travels; .NET drops any other.
  if (identity.bootstrapContext) {
    writer.boolean(true);
    writer.string(identity.bootstrapContext);
  } else {
    writer.boolean(false);
  }
  writer.boolean(identity.actor !== undefined);
  if (identity.actor !== undefined) writeIdentity(writer, identity.actor);
}

function writeClaim(writer: DotnetBinaryWriter, claim: Claim, nameClaimType: string): void {
  writeWithDefault(writer, claim.type, nameClaimType);
  writer.string(claim.value);
  writeWithDefault(writer, claim.valueType, STRING_VALUE_TYPE);
  writeWithDefault(writer, claim.issuer, DEFAULT_ISSUER);
  writeWithDefault(writer, claim.originalIssuer, claim.issuer);
  writer.int32(claim.properties.length);
  for (const [key, value] of claim.properties) {
    writer.string(key);
    writer.string(value);
  }
}

/** Actors nest; a payload nesting deeper than any sign-in does is not a ticket. */
const MAX_ACTOR_DEPTH = 16;

function readIdentity(reader: DotnetBinaryReader, depth: number): ClaimsIdentity {
  if (depth > MAX_ACTOR_DEPTH) throw new MalformedBinaryError('actors nested too deep');
  // .NET writes a null authentication type as "", so "" reads as undefined (an unauthenticated identity).
  const authenticationType = reader.string();
  const nameClaimType = readWithDefault(reader, DEFAULT_NAME_CLAIM_TYPE);
  const roleClaimType = readWithDefault(reader, DEFAULT_ROLE_CLAIM_TYPE);
  const claims: Claim[] = [];
  const count = countOf(reader);
  for (let index = 0; index < count; index++) claims.push(readClaim(reader, nameClaimType));
  const bootstrapContext = reader.boolean() ? reader.string() : undefined;
  const actor = reader.boolean() ? readIdentity(reader, depth + 1) : undefined;
  return {
    authenticationType: authenticationType === '' ? undefined : authenticationType,
    nameClaimType,
    roleClaimType,
    claims,
    bootstrapContext,
    actor,
  };
}

function readClaim(reader: DotnetBinaryReader, nameClaimType: string): Claim {
  const type = readWithDefault(reader, nameClaimType);
  const value = reader.string();
  const valueType = readWithDefault(reader, STRING_VALUE_TYPE);
  const issuer = readWithDefault(reader, DEFAULT_ISSUER);
  const originalIssuer = readWithDefault(reader, issuer);
  return { type, value, valueType, issuer, originalIssuer, properties: readPairs(reader) };
}

function writeItems(writer: DotnetBinaryWriter, items: AuthenticationItems): void {
  writer.int32(PROPERTIES_FORMAT);
  writer.int32(items.length);
  for (const [key, value] of items) {
    writer.string(key);
    writer.string(value);
  }
}

function readItems(reader: DotnetBinaryReader): AuthenticationItems | undefined {
  if (reader.int32() !== PROPERTIES_FORMAT) return undefined;
  return readPairs(reader);
}

/** A count, then that many key and value strings: a .NET Dictionary, so a key twice fails the read there too. */
function readPairs(reader: DotnetBinaryReader): [string, string][] {
  const pairs: [string, string][] = [];
  const keys = new Set<string>();
  const count = countOf(reader);
  for (let index = 0; index < count; index++) {
    const key = reader.string();
    if (keys.has(key)) throw new MalformedBinaryError('a key twice');
    keys.add(key);
    pairs.push([key, reader.string()]);
  }
  return pairs;
}

/** A count that the remaining bytes can hold (each item takes at least one byte), else not a ticket. */
function countOf(reader: DotnetBinaryReader): number {
  const count = reader.int32();
  if (count < 0 || count > reader.remaining) throw new MalformedBinaryError(`a count of ${count}`);
  return count;
}
