import {
  type Claim,
  type ClaimsIdentity,
  DEFAULT_ISSUER,
  DEFAULT_NAME_CLAIM_TYPE,
  DEFAULT_ROLE_CLAIM_TYPE,
  STRING_VALUE_TYPE,
} from './claims.ts';

/** A claim to sign in with: type and value, the rest defaulting as .NET's Claim constructor does. */
export interface ClaimInput {
  type: string;
  value: string;
  /** Default ClaimValueTypes.String. */
  valueType?: string;
  /** Default "LOCAL AUTHORITY". */
  issuer?: string;
  /** Default the issuer. */
  originalIssuer?: string;
  properties?: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
}

/** An identity to sign in with, defaulting as .NET's ClaimsIdentity constructor does. */
export interface ClaimsIdentityInput {
  /** What authenticated the user ("Cookies", "Identity.Application"); an identity without one is anonymous. */
  authenticationType: string | undefined;
  claims?: readonly ClaimInput[];
  /** Default ClaimTypes.Name. */
  nameClaimType?: string;
  /** Default ClaimTypes.Role. */
  roleClaimType?: string;
  bootstrapContext?: string;
  /** The identity acting for this one (delegation). */
  actor?: ClaimsIdentityInput;
}

/** ClaimsIdentity's defaults filled in, each claim checked. */
export function createIdentity(input: ClaimsIdentityInput): ClaimsIdentity {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError('An identity must be an object: { authenticationType, claims }.');
  }
  const nameClaimType = input.nameClaimType ?? DEFAULT_NAME_CLAIM_TYPE;
  const roleClaimType = input.roleClaimType ?? DEFAULT_ROLE_CLAIM_TYPE;
  return {
    authenticationType: input.authenticationType === '' ? undefined : input.authenticationType,
    nameClaimType,
    roleClaimType,
    claims: (input.claims ?? []).map(createClaim),
    bootstrapContext: input.bootstrapContext === '' ? undefined : input.bootstrapContext,
    actor: input.actor === undefined ? undefined : createIdentity(input.actor),
  };
}

function createClaim(input: ClaimInput): Claim {
  if (typeof input?.type !== 'string' || typeof input.value !== 'string') {
    throw new TypeError(
      `A claim needs a string type and a string value; got ${JSON.stringify(input)}. Convert numbers and dates to strings, as .NET's Claim holds them.`,
    );
  }
  const issuer = input.issuer ?? DEFAULT_ISSUER;
  const properties = input.properties ?? [];
  return {
    type: input.type,
    value: input.value,
    valueType: input.valueType ?? STRING_VALUE_TYPE,
    issuer,
    originalIssuer: input.originalIssuer ?? issuer,
    properties: (Array.isArray(properties) ? properties : Object.entries(properties)).map(([key, value]) => [
      key,
      value,
    ]),
  };
}

const sameType = (claim: Claim, type: string) => claim.type.toLowerCase() === type.toLowerCase();

/**
 * The signed-in user, as .NET's ClaimsPrincipal: one or more identities and their claims. Claim types
 * compare without regard to case, values exactly, as in .NET.
 */
export class ClaimsPrincipal {
  readonly identities: readonly ClaimsIdentity[];

  constructor(identities: readonly ClaimsIdentity[]) {
    this.identities = identities;
  }

  /** A principal from identities given as plain objects (defaults filled in). */
  static from(identities: ClaimsIdentityInput | readonly ClaimsIdentityInput[]): ClaimsPrincipal {
    const list: readonly ClaimsIdentityInput[] = Array.isArray(identities)
      ? identities
      : [identities as ClaimsIdentityInput];
    return new ClaimsPrincipal(list.map(createIdentity));
  }

  /** The primary identity: the first. */
  get identity(): ClaimsIdentity | undefined {
    return this.identities[0];
  }

  /** The primary identity's name: its first claim of its name claim type. */
  get name(): string | undefined {
    const identity = this.identity;
    if (identity === undefined) return undefined;
    return identity.claims.find((claim) => sameType(claim, identity.nameClaimType))?.value;
  }

  /** The primary identity has an authentication type. */
  get isAuthenticated(): boolean {
    return this.identity?.authenticationType !== undefined;
  }

  /** Every claim of every identity, in order. */
  get claims(): Claim[] {
    return this.identities.flatMap((identity) => identity.claims);
  }

  /** Any identity has a claim of its role claim type with this value. */
  isInRole(role: string): boolean {
    return this.identities.some((identity) =>
      identity.claims.some((claim) => sameType(claim, identity.roleClaimType) && claim.value === role),
    );
  }

  /** The first claim of a type (or matching a test), across the identities in order. */
  findFirst(match: string | ((claim: Claim) => boolean)): Claim | undefined {
    const test = typeof match === 'string' ? (claim: Claim) => sameType(claim, match) : match;
    for (const identity of this.identities) {
      const found = identity.claims.find(test);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Every claim of a type (or matching a test). */
  findAll(match: string | ((claim: Claim) => boolean)): Claim[] {
    const test = typeof match === 'string' ? (claim: Claim) => sameType(claim, match) : match;
    return this.claims.filter(test);
  }

  /** Some identity has a claim of this type with exactly this value. */
  hasClaim(type: string, value: string): boolean {
    return this.claims.some((claim) => sameType(claim, type) && claim.value === value);
  }

  /** JSON of the user (for logs and APIs): name, authentication type and claims as type and value. */
  toJSON(): {
    name: string | undefined;
    authenticationType: string | undefined;
    claims: { type: string; value: string }[];
  } {
    return {
      name: this.name,
      authenticationType: this.identity?.authenticationType,
      claims: this.claims.map(({ type, value }) => ({ type, value })),
    };
  }
}
