import { type DistributedCache, supportsConditionalSet } from '@sharedstate/caching-abstractions';
import type { DataProtectionProvider } from '@sharedstate/dataprotection-abstractions';
import {
  type Clock,
  type Duration,
  type Logger,
  resolveLogger,
  systemClock,
  unknownOptionMessage,
} from '@sharedstate/shared-helpers';
import {
  COOKIE_OPTION_NAMES,
  duration,
  MILLISECONDS,
  type ResolvedCookieOptions,
  refuseUnknownCookieOptions,
  resolveCookieOptions,
  type SessionCookieOptions,
} from './session-cookie-options.ts';
import { type SessionCommitError, SessionConfigurationError } from './session-errors.ts';
import {
  type ResolvedUserSessionsOptions,
  resolveUserSessionsOptions,
  type UserSessionsOptions,
} from './user-sessions-options.ts';

export interface SessionOptions {
  /** Where session data lives. A shared cache (Redis, SQL Server) for more than one instance. */
  cache: DistributedCache;
  /** Protects the session cookie; every instance must share its key ring and applicationName. */
  dataProtection: DataProtectionProvider;
  /** How long an unused session lives (sliding, in the cache). Default '20m'. */
  idleTimeout?: Duration;
  /** Longest a session load or save may take. Default '1m'; false for none. */
  ioTimeout?: Duration | false;
  /**
   * While the key ring is first loading (just after start), longest a request with a session cookie waits
   * for it before its session is unavailable for that request. Requests without a cookie never wait; one
   * that establishes a session waits for the ring when it saves. Default '250ms'; false never waits.
   */
  keyRingWait?: Duration | false;
  cookie?: SessionCookieOptions;
  /**
   * 'eager' (default): a request carrying a session cookie loads the session before the handler runs, so
   * reads are synchronous; the load also renews the idle timeout (one cache round trip per request).
   * 'lazy': nothing is read until the handler calls `await session.load()`; a request that never loads it
   * only renews the idle timeout at the end (one `refresh`, no read, no rewrite).
   */
  load?: 'eager' | 'lazy';
  /** Largest serialized session in bytes; a set that would pass it throws SessionTooLargeError. Default 1 MiB. */
  maxSessionSize?: number;
  /**
   * Called instead of failing the request when a changed session cannot be saved. By default the request
   * fails through the framework's error handling, because the data the handler meant to keep was not kept.
   */
  onCommitError?: (error: SessionCommitError) => void;
  /**
   * Where warnings and errors go (pino, console and most loggers fit). Default: the console's warn and error
   * (Fastify: the app's logger when it has one); `false` for none. Cookie values and session contents are
   * never logged.
   */
  logger?: Logger | false;
  /** Where the time comes from (a remembered session's lifetime, a persistent cookie's Expires); for tests. */
  clock?: Clock;
  /**
   * What happens when requests of one session overlap and each changes it. 'last-write-wins' (default, as
   * ASP.NET Core and express-session): each saves the whole session, and the last save wins. 'merge': a save
   * writes only over what its request loaded; if another request saved first, this request's changes are
   * applied again to what that one saved (`update()` functions run again), so no committed change is lost.
   * Needs a cache with conditional writes (`setIfUnchanged`). See docs/concurrent-updates.md.
   */
  concurrentUpdates?: 'last-write-wins' | 'merge';
  /**
   * With `cookie.maxAge`: send the persistent cookie again, with a full Max-Age, on every response of an
   * established session (express-session's `rolling`), so an active user is never signed out by the cookie
   * running out. Default false: it is sent again only when the request changed the session.
   */
  rolling?: boolean;
  /**
   * How the index of each user's signed-in sessions (session.signIn, listSessions, endUserSessions) is kept.
   * Needs a cache with conditional writes. See docs/user-sessions.md.
   */
  userSessions?: UserSessionsOptions;
}

export interface ResolvedSessionOptions {
  cache: DistributedCache;
  dataProtection: DataProtectionProvider;
  idleTimeoutMs: number;
  ioTimeoutMs: number | undefined;
  keyRingWaitMs: number;
  cookie: ResolvedCookieOptions;
  load: 'eager' | 'lazy';
  maxSessionSize: number;
  onCommitError: ((error: SessionCommitError) => void) | undefined;
  logger: Logger | undefined;
  clock: Clock;
  /** concurrentUpdates is 'merge'. */
  merge: boolean;
  rolling: boolean;
  userSessions: ResolvedUserSessionsOptions;
}

// A record over the interface's keys, so the compiler keeps the list complete and exact.
const OPTION_NAMES: Record<keyof SessionOptions, true> = {
  cache: true,
  dataProtection: true,
  idleTimeout: true,
  ioTimeout: true,
  keyRingWait: true,
  cookie: true,
  load: true,
  maxSessionSize: true,
  onCommitError: true,
  logger: true,
  clock: true,
  concurrentUpdates: true,
  rolling: true,
  userSessions: true,
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
  renew: `remove it: ${RENEWED}`,
  resave: 'remove it: an unchanged session is never rewritten',
  saveUninitialized: 'remove it: nothing is stored and no cookie is sent until a value is set',
  genid: "remove it: session keys are random GUIDs (ASP.NET Core's format)",
  unset: 'remove it: `req.session = null` or `session.destroy()` ends the session',
  proxy: "remove it: `cookie.secure: 'auto'` follows the framework's trust-proxy setting",
  signed: 'remove it: the cookie is always encrypted and authenticated by `dataProtection`',
  autoCommit: 'remove it: the session is always saved before the response is sent',
  overwrite:
    'remove it: the session cookie is set when the session starts, and again as `cookie.maxAge` and `rolling` say',
  trustProxy:
    "the Hono adapter takes it as its second argument, session(options, { trustProxy: true }); Express's and " +
    "Koa's adapters follow the framework's own trust-proxy setting",
};

/** Refuses option names this library does not have, saying what to use for those of express-session and koa-session. */
function refuseUnknownSessionOptions(options: object, cookie: object): void {
  const message = unknownOptionMessage('session', options, OPTION_NAMES, FROM_OTHER_LIBRARIES);
  if (message !== undefined) throw new SessionConfigurationError(message);
  refuseUnknownCookieOptions(cookie);
}

/** The options that make sessions interoperable with ASP.NET Core's session middleware. */
export const aspnetCoreCompat = Object.freeze({ cookie: Object.freeze({ name: '.AspNetCore.Session' }) });

/**
 * A session that lives under a second ends between two requests: every request would start a new one. Such
 * a value is a unit mistaken (`idleTimeout: 20` meant as minutes or seconds), not a wish.
 */
function idleTimeout(value: Duration | undefined): number {
  const idleTimeoutMs = duration(value ?? '20m', 'idleTimeout');
  if (idleTimeoutMs < 1000) {
    throw new SessionConfigurationError(
      `idleTimeout must be at least one second, or every request would start a new session; got ${String(value)}${typeof value === 'number' ? MILLISECONDS : ''}.`,
    );
  }
  return idleTimeoutMs;
}

/** Validates the options once, when the middleware is created, naming what to fix. */
export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  if (options === null || typeof options !== 'object')
    throw new SessionConfigurationError('session() needs an options object.');
  const cookie = options.cookie ?? {};
  if (typeof cookie !== 'object')
    throw new SessionConfigurationError('cookie must be an object of cookie options.');
  refuseUnknownSessionOptions(options, cookie);
  const { cache, dataProtection } = options;
  if (
    !cache ||
    typeof cache.get !== 'function' ||
    typeof cache.set !== 'function' ||
    typeof cache.refresh !== 'function'
  ) {
    throw new SessionConfigurationError(
      'session() needs `cache`: a DistributedCache such as new RedisCache({ redis }) (or new MemoryDistributedCache() for a single instance).',
    );
  }
  const given = dataProtection as Partial<DataProtectionProvider & Record<'protect' | 'unprotect', unknown>>;
  if (given && typeof given.createProtector === 'function' && typeof given.protect === 'function') {
    throw new SessionConfigurationError(
      "session() got a protector as `dataProtection` (provider.createProtector('...')); pass the provider itself, createDataProtection({ applicationName, repository }): the session makes its own protector from it.",
    );
  }
  if (!given || typeof given.createProtector !== 'function' || typeof given.initialize !== 'function') {
    throw new SessionConfigurationError(
      'session() needs `dataProtection`: createDataProtection({ applicationName, repository }) with a repository every instance shares.',
    );
  }
  const resolvedCookie = resolveCookieOptions(cookie);
  const load = options.load ?? 'eager';
  if (load !== 'eager' && load !== 'lazy')
    throw new SessionConfigurationError(`load must be 'eager' or 'lazy'; got '${load}'.`);
  const maxSessionSize = options.maxSessionSize ?? 1024 * 1024;
  if (!Number.isInteger(maxSessionSize) || maxSessionSize < 1024) {
    throw new SessionConfigurationError(
      `maxSessionSize must be a whole number of bytes of at least 1024; got ${maxSessionSize}.`,
    );
  }
  return {
    cache,
    dataProtection,
    idleTimeoutMs: idleTimeout(options.idleTimeout),
    ioTimeoutMs: options.ioTimeout === false ? undefined : duration(options.ioTimeout ?? '1m', 'ioTimeout'),
    keyRingWaitMs:
      options.keyRingWait === false ? 0 : duration(options.keyRingWait ?? '250ms', 'keyRingWait'),
    cookie: resolvedCookie,
    load,
    maxSessionSize,
    onCommitError: options.onCommitError,
    logger: resolveLogger(options.logger, SessionConfigurationError),
    clock: options.clock ?? systemClock,
    merge: resolveMerge(options.concurrentUpdates, cache),
    rolling: resolveRolling(options.rolling),
    userSessions: resolveUserSessionsOptions(options.userSessions, cache),
  };
}

function resolveRolling(rolling: unknown): boolean {
  if (rolling === undefined) return false;
  if (typeof rolling !== 'boolean')
    throw new SessionConfigurationError(`rolling must be true or false; got ${String(rolling)}.`);
  return rolling;
}

/** The merge mode needs conditional writes; a cache without them fails here, not by losing data later. */
function resolveMerge(mode: SessionOptions['concurrentUpdates'], cache: DistributedCache): boolean {
  if (mode === undefined || mode === 'last-write-wins') return false;
  if (mode !== 'merge') {
    throw new SessionConfigurationError(
      `concurrentUpdates must be 'last-write-wins' or 'merge'; got ${JSON.stringify(mode)}.`,
    );
  }
  if (!supportsConditionalSet(cache)) {
    throw new SessionConfigurationError(
      "concurrentUpdates: 'merge' needs a cache with conditional writes (setIfUnchanged): MemoryDistributedCache, " +
        'RedisCache (with its default useScripts), PostgresCache, SqlServerCache, or a provider that implements ' +
        "ConditionalSet. This cache has none: use it with 'last-write-wins', or another cache.",
    );
  }
  return true;
}
