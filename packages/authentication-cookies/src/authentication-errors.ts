import { SharedStateError } from '@sharedstate/shared-helpers';

/** What every error of this package extends. */
export class AuthenticationError extends SharedStateError {}

/** An option is missing or wrong; raised when the authentication is created. */
export class CookieAuthenticationConfigurationError extends AuthenticationError {}

/** A sign-in was asked with a principal or properties that cannot make a ticket. */
export class SignInError extends AuthenticationError {}

/** A helper was called where it cannot work (signIn() on a request the middleware did not see). */
export class AuthenticationUsageError extends AuthenticationError {}
