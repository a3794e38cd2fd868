/**
 * A test service could not be had on this machine. Outside CI the tests that need it are skipped with this
 * message; under CI=true it fails the run for the services a Debian machine can always provide.
 */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
}

export const isCI = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? '');
