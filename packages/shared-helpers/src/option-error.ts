/**
 * The error class a package raises for an option or argument it cannot accept (CacheArgumentError,
 * DataProtectionConfigurationError, SessionConfigurationError): the shared checks below throw the caller's
 * own class, so an app catches the error of the package it configured.
 */
export type OptionErrorClass = new (message: string) => Error;
