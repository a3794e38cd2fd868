import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel';

/** The name of the TracingChannel each session load (one cache read) is published on. */
export const SESSION_LOAD_CHANNEL = 'sharedstate.session.load';

/**
 * How a load ended: `loaded` (the session's data read), `new` (nothing stored under the cookie's key: an
 * expired or never-saved session starts empty), `unreadable` (stored bytes that are no session: it starts
 * empty and is overwritten at its save), `restarted` (the key holds another app's entry: a new session under
 * a new key), `unavailable` (the cache failed or did not answer in time: see `error`).
 */
export type SessionLoadOutcome = 'loaded' | 'new' | 'unreadable' | 'restarted' | 'unavailable';

/** What a session load's events carry: never the session's key, cookie or values. */
export interface SessionLoadEvent {
  /** Set before `asyncEnd`. */
  outcome?: SessionLoadOutcome;
  /** The cache's failure, for `unavailable`. */
  error?: unknown;
}

export const sessionLoadChannel: TracingChannel<unknown, SessionLoadEvent> =
  tracingChannel(SESSION_LOAD_CHANNEL);

/** The name of the TracingChannel each session commit (a save, removal or refresh at the cache) is published on. */
export const SESSION_COMMIT_CHANNEL = 'sharedstate.session.commit';

/**
 * What the commit does: `save` a changed session, `remove` a destroyed one, `refresh` the idle timeout of one
 * never read, or `none` (an explicit commit() of a session with nothing to write).
 */
export type SessionCommitAction = 'save' | 'remove' | 'refresh' | 'none';

/**
 * How a commit ended: `committed`; `ended` (a signed-in session found ended by a sign-out elsewhere: nothing
 * written); `too-large` (SessionTooLargeError); `error` (any other failure, see `error`).
 */
export type SessionCommitOutcome = 'committed' | 'ended' | 'too-large' | 'error';

/** What a session commit's events carry: never the session's key, cookie or values. */
export interface SessionCommitEvent {
  readonly action: SessionCommitAction;
  /** Set before `asyncEnd`. */
  outcome?: SessionCommitOutcome;
  /**
   * Conditional writes retried because another request of the session saved first (the merge mode, and
   * signed-in sessions); 0 when the first write went through.
   */
  conflictRetries: number;
  /** The failure, for `too-large` and `error`, also when an onCommitError option took it. */
  error?: unknown;
}

export const sessionCommitChannel: TracingChannel<unknown, SessionCommitEvent> =
  tracingChannel(SESSION_COMMIT_CHANNEL);
