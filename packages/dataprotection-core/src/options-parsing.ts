import ms from 'ms';
import { DataProtectionConfigurationError } from './errors.ts';

/** A duration option: milliseconds or text such as '7d', '90d', '12h'. */
export type Duration = number | string;

/** Reads a duration option the way every sharedstate package does (the `ms` grammar), naming the option on error. */
export function durationOption(value: Duration, optionName: string): number {
  const millis =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim()
        ? ms(value.trim() as ms.StringValue)
        : undefined;
  if (millis === undefined || !Number.isFinite(millis) || millis <= 0) {
    throw new DataProtectionConfigurationError(
      `${optionName} must be a positive number of milliseconds or a duration such as '90d'; got ${typeof value === 'string' ? `'${value}'` : String(value)}.`,
    );
  }
  return millis;
}

/**
 * Refuses an option name that `known` lacks (a name given with the value undefined passes); `what` names the
 * options in the message ('data protection', 'RedisXmlRepository'). A misspelt `protectKeysWithCertificate`
 * would otherwise leave new master keys unencrypted at rest without a word, and a misspelt repository `key`
 * or `blobName` would put the key ring somewhere other instances do not look.
 */
export function refuseUnknownOptions(
  what: string,
  options: object,
  known: Readonly<Record<string, true>>,
): void {
  const given = options as Readonly<Record<string, unknown>>;
  const unknown = Object.keys(given).find((name) => !Object.hasOwn(known, name) && given[name] !== undefined);
  if (unknown === undefined) return;
  throw new DataProtectionConfigurationError(
    `Unknown ${what} option '${unknown}': the options are ${Object.keys(known).join(', ')}.`,
  );
}
