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
