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
export { deserializeTicket, serializeTicket } from './ticket-serializer.ts';
