import ms from 'ms';
import type { OptionErrorClass } from './option-error.ts';

/** A duration: milliseconds, or a string such as '500ms', '30s', '20m', '12h', '90d'. */
export type Duration = number | string;

/**
 * Converts a duration option to milliseconds, in the `ms` grammar every sharedstate package uses, so '20m'
 * means the same thing in a cache entry, a session idle timeout and a key lifetime.
 *
 * @param optionName the option's name, quoted in the error so the caller knows what to fix.
 */
export function parseDuration(value: Duration, optionName: string, OptionError: OptionErrorClass): number {
  let millis: number | undefined;
  if (typeof value === 'number') {
    millis = value;
  } else if (typeof value === 'string') {
    // ms() returns undefined for text it does not understand instead of throwing.
    millis = value.trim() === '' ? undefined : ms(value.trim() as ms.StringValue);
  }
  if (millis === undefined || !Number.isFinite(millis)) {
    throw new OptionError(
      `${optionName} must be a number of milliseconds or a duration string such as '30s', '20m' or '90d'; got ${describe(value)}.`,
    );
  }
  if (millis <= 0) {
    throw new OptionError(`${optionName} must be a positive duration; got ${describe(value)}.`);
  }
  return millis;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
