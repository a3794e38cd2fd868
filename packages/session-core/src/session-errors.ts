import {
  answerAsServiceUnavailable,
  isServiceUnavailable,
  type ServiceUnavailableAnswer,
  SharedStateError,
} from '@sharedstate/shared-helpers';

/** Base class of every session error. */
export class SessionError extends SharedStateError {}

/** What SessionUnavailableError answers in each framework's default error handling: 503 with Retry-After. */
export interface SessionUnavailableError extends ServiceUnavailableAnswer {}

/**
 * The session store could not be read: the request runs, but the session cannot be changed. Answers 503
 * Service Unavailable with Retry-After in each framework's default error handling.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: answerAsServiceUnavailable defines the interface's members
export class SessionUnavailableError extends SessionError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    answerAsServiceUnavailable(this);
  }
}

/**
 * The session was changed but could not be saved: the request must not report success. When the cause is an
 * outage (the cache did not answer), it answers 503 Service Unavailable with Retry-After, as its cause does;
 * otherwise the framework's 500.
 */
export class SessionCommitError extends SessionError {
  declare readonly status?: 503;
  declare readonly statusCode?: 503;
  declare readonly expose?: false;
  declare readonly headers?: Readonly<Record<'Retry-After', string>>;
  declare getResponse?: () => Response;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    if (isServiceUnavailable(options?.cause)) answerAsServiceUnavailable(this);
  }
}

/** A value or the whole session is over the configured size limits. */
export class SessionTooLargeError extends SessionError {}

/** The session was used in a way that cannot work (e.g. established after the response started). */
export class SessionStateError extends SessionError {}

/**
 * The session was used the way express-session or koa-session is, which does nothing here and would lose
 * data or hang the request: a value assigned as a property of the session object, or a callback passed to
 * a method that returns a promise.
 */
export class SessionUsageError extends SessionError {}

/** A stored value cannot be read as the type asked for (e.g. getJson of a value that is not JSON). */
export class SessionValueFormatError extends SessionError {}

/** A session option is missing or wrong; raised when the middleware is created. */
export class SessionConfigurationError extends SessionError {}

/**
 * Ending a user's sessions was cut short (the cache failed or timed out): `ended` lists the handles of the
 * sessions that did end, `notEnded` those that may still work. Calling again ends what is left.
 */
export class SessionsNotEndedError extends SessionError {
  /** The handles of the sessions that were ended. */
  readonly ended: readonly string[];
  /** The handles of the sessions known to be still signed in. */
  readonly notEnded: readonly string[];

  constructor(
    message: string,
    ended: readonly string[],
    notEnded: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.ended = ended;
    this.notEnded = notEnded;
    if (isServiceUnavailable(options?.cause)) answerAsServiceUnavailable(this);
  }
}
