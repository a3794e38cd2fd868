/**
 * What every sharedstate error class extends: the error's name is its class's name (CacheUnavailableError,
 * KeyRevokedError, SessionCommitError), so logs and `String(error)` say which one without a stack trace.
 * Each package's own base class (CacheError, DataProtectionError, SessionError) extends this one.
 */
export class SharedStateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
