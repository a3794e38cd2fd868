import { FOR_LIBRARIES } from './foreign-session-members.ts';
import { SessionUsageError } from './session-errors.ts';
import type { SessionState } from './session-state.ts';

/**
 * What the app did that cannot be stored, or undefined. Properties assigned on the session object itself
 * (`req.session.user = …`, as express-session and koa-session allow): a Session keeps its own state in
 * private fields, so any enumerable string key was put there by the app. Or an object put in the session's
 * place (see SessionHandler.replaced).
 */
export function misuseOf(state: SessionState): SessionUsageError | undefined {
  const names = Object.keys(state.session);
  if (names.length === 0) return state.misuse;
  const listed = names.map((name) => `'${name}'`).join(', ');
  const first = JSON.stringify(names[0]);
  return new SessionUsageError(
    `The app assigned ${listed} as ${names.length === 1 ? 'a property' : 'properties'} of the session object, ` +
      `which is not stored (it would be gone on the next request); use session.setJson(${first}, value) and ` +
      `session.getJson(${first}) (or setString, setInt32, set). If a library assigned it: ${FOR_LIBRARIES}.`,
  );
}

/** A value in the session's place that is another middleware's session (a class instance), not the app's data. */
const isForeignSession = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype !== Object.prototype && prototype !== null;
};

/**
 * What a value put in the session's place (`req.session = …`) means: 'destroy' for `null` or `undefined`
 * (cookie-session's sign-out), 'leave' for another middleware's session object (express-session run beside
 * this one during a migration), otherwise the error the request fails with at its end: a plain object of
 * values is not stored.
 */
export function replacementOf(value: unknown, property: string): 'destroy' | 'leave' | SessionUsageError {
  if (value === null || value === undefined) return 'destroy';
  if (isForeignSession(value)) return 'leave';
  const what = typeof value === 'object' ? 'a plain object' : `a ${typeof value}`;
  return new SessionUsageError(
    `${property} was replaced by ${what}, which is not stored (it would be gone on the next request); ` +
      `leave the session in place and store each value with ${property}.setJson('name', value), or set ` +
      `${property} = null to sign out.`,
  );
}
