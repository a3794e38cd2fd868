import { unknownOptionMessage } from '@sharedstate/shared-helpers';
import { SessionConfigurationError } from './session-errors.ts';

/**
 * Reads a framework adapter's own options (the second argument of its session()), each a true/false flag,
 * when the middleware is created: a misspelt name, or a session option put there instead of in the first
 * argument, would otherwise be ignored without a word.
 */
export function readAdapterFlags<Name extends string>(
  framework: string,
  given: unknown,
  names: readonly Name[],
): Record<Name, boolean> {
  const listed = names.join(', ');
  if (given === null || typeof given !== 'object')
    throw new SessionConfigurationError(
      `The ${framework} adapter's options must be an object: { ${listed} }.`,
    );
  const values = given as Record<string, unknown>;
  const only = names.length === 1 ? `the adapter's only option is ${listed}` : `its options are ${listed}`;
  const unknown = unknownOptionMessage(
    `${framework} adapter`,
    values,
    Object.fromEntries(names.map((name) => [name, true])),
    {},
    '',
    `${only}; session options such as cache, idleTimeout and cookie go in the first argument, ` +
      `session(options, { ${listed} })`,
  );
  if (unknown !== undefined) throw new SessionConfigurationError(unknown);
  const flags = {} as Record<Name, boolean>;
  for (const name of names) {
    const value = values[name] ?? false;
    if (typeof value !== 'boolean')
      throw new SessionConfigurationError(`${name} must be true or false; got ${String(value)}.`);
    flags[name] = value;
  }
  return flags;
}
