export {
  ANTIFORGERY_COOKIE_PREFIX,
  ANTIFORGERY_PURPOSE,
  Antiforgery,
  type AntiforgeryOptions,
  type AntiforgeryTokenSet,
  type AntiforgeryValidation,
} from './antiforgery.ts';
export {
  AuthenticationError,
  AuthenticationUsageError,
  CookieAuthenticationConfigurationError,
  SignInError,
} from './authentication-errors.ts';
export { AuthenticationProperties, type AuthenticationToken } from './authentication-properties.ts';
export { DEFAULT_CHUNK_SIZE, type SameSite } from './chunking-cookies.ts';
export {
  type AuthenticationItems,
  type AuthenticationTicket,
  type Claim,
  type ClaimsIdentity,
  ClaimTypes,
  DEFAULT_ISSUER,
  DEFAULT_NAME_CLAIM_TYPE,
  DEFAULT_ROLE_CLAIM_TYPE,
  STRING_VALUE_TYPE,
} from './claims.ts';
export {
  type ClaimInput,
  type ClaimsIdentityInput,
  ClaimsPrincipal,
  createIdentity,
} from './claims-principal.ts';
export {
  type AuthenticateResult,
  type AuthenticationFailureReason,
  type AuthenticationRequest,
  COOKIE_AUTHENTICATION_PURPOSE,
  CookieAuthentication,
  type SignInPrincipal,
  type SignInProperties,
} from './cookie-authentication.ts';
export {
  type AuthenticationCookieOptions,
  COOKIE_PREFIX,
  type CookieAuthenticationOptions,
  type CookieSecurePolicy,
  DEFAULT_SCHEME,
} from './cookie-authentication-options.ts';
export { type AuthenticationResponse, RequestAuthentication } from './request-authentication.ts';
export { getAuthenticationProperties, getUser, signIn, signOut } from './request-helpers.ts';
export { deserializeTicket, serializeTicket } from './ticket-serializer.ts';
