import { SessionUsageError } from './session-errors.ts';

const LIFETIME =
  'a session lives for the idleTimeout option after its last use, and its cookie until the browser closes ' +
  'or, with the cookie.maxAge option, for that long; for one session ("remember me"), call ' +
  "session.rememberFor('30d'), or session.rememberFor(false) to go back";

/** Said with each refusal: a library (not the app) may be what called the member. */
export const FOR_LIBRARIES =
  'Libraries written against express-session (Passport, koa-passport, connect-flash) or @fastify/session ' +
  '(@fastify/passport, @fastify/flash) need its session object: with Express or Koa, pass the adapter option ' +
  'session(options, { properties: true }); with Fastify, register the plugin with { properties: true }';

/**
 * Members of express-session's and koa-session's session objects that this Session does not have, and what
 * to do instead. Used out of habit they would otherwise fail with a bare TypeError (`req.session.save is not
 * a function`, `Cannot set properties of undefined (setting 'maxAge')`) that does not say what to do, or, for
 * koa-session's `maxAge`, fail at the end of the request with advice to store it as a value.
 */
export const MEMBERS: Readonly<Record<string, string>> = {
  save:
    "session.save() is express-session's: the session is saved before the response is sent; to save earlier, " +
    '`await session.commit()`',
  touch:
    "session.touch() is express-session's: every request that loads the session renews its idle timeout; " +
    'remove the call',
  reload:
    "session.reload() is express-session's: the session is read once per request, before the handler; " +
    'remove the call',
  cookie: `session.cookie holds express-session's per-session cookie settings, which do not exist here: ${LIFETIME}`,
  maxAge: `session.maxAge is koa-session's per-session lifetime: ${LIFETIME}`,
  manuallyCommit: "session.manuallyCommit() is koa-session's: use `await session.commit()`",
};

/**
 * Puts the members above on the Session prototype as accessors that throw a SessionUsageError naming what
 * to do instead, whether they are read (`session.save(cb)`, `session.cookie.maxAge = n`) or assigned
 * (`session.maxAge = n`). Not enumerable and not own, so they never count as values the app assigned, and
 * not part of the Session type, so TypeScript flags them before they run.
 */
export function refuseMembersOfOtherLibraries(prototype: object): void {
  for (const [name, advice] of Object.entries(MEMBERS)) {
    const refuse = (): never => {
      throw new SessionUsageError(`${advice}. ${FOR_LIBRARIES}.`);
    };
    Object.defineProperty(prototype, name, {
      configurable: true,
      enumerable: false,
      get: refuse,
      set: refuse,
    });
  }
}
