import { traceOperation } from '@sharedstate/shared-helpers';
import {
  type SessionCommitAction,
  type SessionCommitEvent,
  type SessionLoadEvent,
  type SessionLoadOutcome,
  sessionCommitChannel,
  sessionLoadChannel,
} from './session-diagnostics.ts';
import { SessionTooLargeError } from './session-errors.ts';
import type { SessionState } from './session-state.ts';

/**
 * How SessionPersistence publishes its loads and commits while someone listens on their channels (it checks
 * `hasSubscribers` first, so nobody listening costs nothing). A commit's event stays reachable from its
 * session state while it runs, for the conflicts and endings found on the way.
 */
const commitsRunning = new WeakMap<SessionState, SessionCommitEvent>();

/** Runs `read` (a load that applies what it read and never rejects) as a published session load. */
export function traceSessionLoad(
  state: SessionState,
  read: () => Promise<SessionLoadOutcome>,
): Promise<SessionLoadOutcome> {
  const event: SessionLoadEvent = {};
  return traceOperation(sessionLoadChannel, event, read, (loaded, outcome) => {
    loaded.outcome = outcome;
    if (outcome === 'unavailable') loaded.error = state.unavailableCause;
  });
}

/**
 * Runs `save` as a published session commit. A failure counts when `save` hands it to its `onFailure`, also
 * when that callback takes it (an onCommitError option) and the save then resolves.
 */
export function traceSessionCommit(
  state: SessionState,
  endOfRequest: boolean,
  onFailure: (error: unknown) => void,
  save: (onFailure: (error: unknown) => void) => Promise<void>,
): Promise<void> {
  const event: SessionCommitEvent = { action: commitActionOf(state, endOfRequest), conflictRetries: 0 };
  commitsRunning.set(state, event);
  const failed = (error: unknown) => {
    event.outcome ??= isTooLarge(error) ? 'too-large' : 'error';
    event.error ??= error;
  };
  return traceOperation(
    sessionCommitChannel,
    event,
    () =>
      save((error) => {
        failed(error);
        onFailure(error);
      }),
    (settled) => {
      settled.outcome ??= 'committed';
      commitsRunning.delete(state);
    },
    (_settled, error) => {
      failed(error);
      commitsRunning.delete(state);
    },
  );
}

/** A conditional write of the commit running for `state` found `retries` saves before it. */
export function noteConflictRetries(state: SessionState, retries: number): void {
  const event = commitsRunning.get(state);
  if (event !== undefined) event.conflictRetries = retries;
}

/** The commit running for `state` found its signed-in session ended elsewhere: it writes nothing. */
export function noteCommitEnded(state: SessionState): void {
  const event = commitsRunning.get(state);
  if (event !== undefined) event.outcome = 'ended';
}

/** What a save of `state` will do at the cache (see SessionPersistence's #persist). */
function commitActionOf(state: SessionState, endOfRequest: boolean): SessionCommitAction {
  if (state.destroyed) return 'remove';
  if (state.modified) return 'save';
  return endOfRequest && state.hadCookie && !state.loaded ? 'refresh' : 'none';
}

const isTooLarge = (error: unknown): boolean =>
  error instanceof SessionTooLargeError ||
  (error as Error | undefined)?.cause instanceof SessionTooLargeError;
