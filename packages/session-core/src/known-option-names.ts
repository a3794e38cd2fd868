import { unknownOptionMessage } from '@sharedstate/caching-abstractions';
import { SessionConfigurationError } from './session-errors.ts';
import type { SessionCookieOptions, SessionOptions } from './session-options.ts';

// Records over the interfaces' keys, so the compiler keeps these lists complete and exact.
const OPTION_NAMES: Record<keyof SessionOptions, true> = {
  cache: true,
  dataProtection: true,
  idleTimeout: true,
  ioTimeout: true,
  cookie: true,
  load: true,
  maxSessionSize: true,
  onCommitError: true,
  logger: true,
};
const COOKIE_OPTION_NAMES: Record<keyof SessionCookieOptions, true> = {
  name: true,
  path: true,
  domain: true,
  httpOnly: true,
  sameSite: true,
  secure: true,
  partitioned: true,
  maxAge: true,
};

const RENEWED = 'every request with the session cookie renews the idle timeout (`idleTimeout`) on the server';

/**
 * Options of express-session and koa-session that have no counterpart here, and what to do instead. Passed
 * out of habit (from JavaScript, or a spread config object), they would otherwise be ignored without a word:
 * a `maxAge` that is silently not applied is a session that ends when nobody expects it.
 */
const FROM_OTHER_LIBRARIES: Record<string, string> = {
  // express-session's `name`, and koa-session's cookie attributes, sit at the top level (koa-session's
  // `maxAge`, below, is the session's lifetime).
  ...Object.fromEntries(Object.keys(COOKIE_OPTION_NAMES).map((name) => [name, `use \`cookie.${name}\``])),
  store: 'use `cache`: a DistributedCache such as new RedisCache({ redis })',
  secret:
    'the cookie is protected by `dataProtection` (a key ring every instance shares); there is no secret to set',
  key: 'use `cookie.name`',
  maxAge:
    'use `idleTimeout` for how long an unused session lives (sliding, on the server), or `cookie.maxAge` for ' +
    'a cookie that outlives the browser session',
  rolling: `remove it: ${RENEWED}`,
  renew: `remove it: ${RENEWED}`,
  resave: 'remove it: an unchanged session is never rewritten',
  saveUninitialized: 'remove it: nothing is stored and no cookie is sent until a value is set',
  genid: "remove it: session keys are random GUIDs (ASP.NET Core's format)",
  unset: 'remove it: `req.session = null` or `session.destroy()` ends the session',
  proxy: "remove it: `cookie.secure: 'auto'` follows the framework's trust-proxy setting",
  signed: 'remove it: the cookie is always encrypted and authenticated by `dataProtection`',
  autoCommit: 'remove it: the session is always saved before the response is sent',
  overwrite: 'remove it: the session cookie is set once, when the session starts',
  trustProxy:
    "the Hono adapter takes it as its second argument, session(options, { trustProxy: true }); Express's and " +
    "Koa's adapters follow the framework's own trust-proxy setting",
};

const COOKIE_FROM_OTHER_LIBRARIES: Record<string, string> = {
  expires: 'use `cookie.maxAge`: the cookie expires that long after the session is established',
  signed: 'remove it: the cookie is always encrypted and authenticated by `dataProtection`',
  priority: 'remove it: the session cookie is sent without a priority',
};

/** Refuses option names this library does not have, saying what to use for those of express-session and koa-session. */
export function refuseUnknownOptions(options: object, cookie: object): void {
  const message =
    unknownOptionMessage('session', options, OPTION_NAMES, FROM_OTHER_LIBRARIES) ??
    unknownOptionMessage('session', cookie, COOKIE_OPTION_NAMES, COOKIE_FROM_OTHER_LIBRARIES, 'cookie.');
  if (message !== undefined) throw new SessionConfigurationError(message);
}
