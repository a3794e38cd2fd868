import type { OptionErrorClass } from './option-error.ts';

/**
 * The first option in `given` whose name is not in `known`, described for an error message, or undefined.
 * Options carried over from another library (or misspelt) would otherwise be ignored without a word; `hints`
 * says, for another library's option names, what to use here instead, and `otherwise` what to say for any
 * other name (by default, the list of known names). A name present with the value `undefined` (a spread
 * config with the field unset) asks for nothing and passes.
 */
export function unknownOptionMessage(
  what: string,
  given: object,
  known: Readonly<Record<string, true>>,
  hints: Readonly<Record<string, string>> = {},
  prefix = '',
  otherwise = `the options are ${Object.keys(known).join(', ')}`,
): string | undefined {
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined || Object.hasOwn(known, name)) continue;
    const hint = Object.hasOwn(hints, name) ? hints[name] : otherwise;
    return `Unknown ${what} option '${prefix}${name}': ${hint}.`;
  }
  return undefined;
}

/**
 * A constructor's check: throws `OptionError` with unknownOptionMessage's text when `given` has a name
 * `known` lacks. A misspelt `protectKeysWithCertificate` would otherwise leave new keys unencrypted at rest,
 * and a misspelt repository `key` put the ring where other instances do not look, without a word.
 */
export function refuseUnknownOptions(
  OptionError: OptionErrorClass,
  what: string,
  given: object,
  known: Readonly<Record<string, true>>,
  hints?: Readonly<Record<string, string>>,
): void {
  const message = unknownOptionMessage(what, given, known, hints);
  if (message !== undefined) throw new OptionError(message);
}
