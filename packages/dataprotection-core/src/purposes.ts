import { DataProtectionError } from '@sharedstate/dataprotection-abstractions';

/** Purposes are non-empty lists of strings, as ASP.NET Core requires. */
export function validatePurposes(purposes: readonly unknown[]): asserts purposes is string[] {
  if (purposes.length === 0) throw new DataProtectionError('A protector needs at least one purpose.');
  for (const purpose of purposes) {
    if (typeof purpose !== 'string')
      throw new DataProtectionError(`A purpose must be a string; got ${typeof purpose}.`);
  }
}
