/** .NET's claim types (System.Security.Claims.ClaimTypes) that sign-in most often uses. */
export const ClaimTypes = {
  Name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  NameIdentifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  Email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  GivenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  Surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  Role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  AuthenticationMethod: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod',
} as const;

/** ClaimsIdentity's defaults in .NET, which the ticket format writes as "\0". */
export const DEFAULT_NAME_CLAIM_TYPE = ClaimTypes.Name;
export const DEFAULT_ROLE_CLAIM_TYPE = ClaimTypes.Role;
export const DEFAULT_ISSUER = 'LOCAL AUTHORITY';
/** ClaimValueTypes.String. */
export const STRING_VALUE_TYPE = 'http://www.w3.org/2001/XMLSchema#string';

/** A claim as .NET's Claim holds it. Properties keep their order. */
export interface Claim {
  type: string;
  value: string;
  valueType: string;
  issuer: string;
  originalIssuer: string;
  properties: [key: string, value: string][];
}

/** A ClaimsIdentity: an authentication type of undefined is .NET's null (not authenticated). */
export interface ClaimsIdentity {
  authenticationType: string | undefined;
  nameClaimType: string;
  roleClaimType: string;
  claims: Claim[];
  bootstrapContext: string | undefined;
  actor: ClaimsIdentity | undefined;
}

/** AuthenticationProperties' items, in order (`.issued`, `.expires`, `.persistent`, `.Token.*`, …). */
export type AuthenticationItems = [key: string, value: string][];

/** What the authentication cookie carries: AuthenticationTicket. */
export interface AuthenticationTicket {
  scheme: string;
  identities: ClaimsIdentity[];
  items: AuthenticationItems;
}
