/**
 * The first option in `given` whose name is not in `known`, described for an error message, or undefined.
 * Options carried over from another library (or misspelt) would otherwise be ignored without a word; `hints`
 * says, for another library's option names, what to use here instead, and `otherwise` what to say for any
 * other name (by default, the list of known names). A name present with the value
 * `undefined` (a spread config with the field unset) asks for nothing and passes. Callers throw their own
 * configuration error with the message.
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
