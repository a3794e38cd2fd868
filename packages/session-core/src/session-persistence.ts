import { randomUUID } from 'node:crypto';
import {
  CacheEntryConflictError,
  type CacheEntryOptions,
  type ConditionalSet,
  type DistributedCache,
} from '@sharedstate/caching-abstractions';
import type { LogThrottle } from '@sharedstate/shared-helpers';
import type { BoundSessions } from './bound-sessions.ts';
import type { BoundedCacheCalls } from './bounded-cache-calls.ts';
import { type SessionLoadOutcome, sessionCommitChannel, sessionLoadChannel } from './session-diagnostics.ts';
import { SessionCommitError, type SessionUsageError } from './session-errors.ts';
import type { ResolvedSessionOptions } from './session-options.ts';
import { deliver, type SessionReceiver } from './session-receiver.ts';
import { deserializeSession, serializeSession } from './session-serialization.ts';
import type { SessionState } from './session-state.ts';
import {
  noteCommitEnded,
  noteConflictRetries,
  traceSessionCommit,
  traceSessionLoad,
} from './session-tracing.ts';

/**
 * How many times a save in the merge mode tries before it fails: each failed try means another request of
 * the same session saved in between, so this many requests would have to overlap one another.
 */
const MERGE_ATTEMPTS = 100;

/** Any failure to save, as the one error type callers handle. */
export const asCommitError = (error: unknown): SessionCommitError =>
  error instanceof SessionCommitError
    ? error
    : new SessionCommitError(`The session could not be saved: ${(error as Error).message}`, { cause: error });
export const rejectAsCommitError = (error: unknown): never => {
  throw asCommitError(error);
};

/** What the persistence needs from the rest of the handler. */
export interface PersistenceContext {
  readonly options: ResolvedSessionOptions;
  readonly calls: BoundedCacheCalls;
  /** Per-request warnings, at most once a minute each. */
  readonly log: LogThrottle;
  /** The cookie value for a key once the key ring has loaded (a session established before it first did). */
  cookieValueOnceLoaded(key: string): Promise<string>;
  /** The request's cookie no longer names a live session (destroyed, or moved to a new key). */
  forgetCookie(cookie: string | undefined): void;
  /** Sessions a user signed in to: their index, kept true at each save. */
  readonly bound: BoundSessions;
  /** A load failed: the session is unavailable for this request (remembered for readiness). */
  loadFailed(error: unknown): void;
}

/**
 * Reading and writing sessions in the cache: the load, the save (last write wins, or the merge mode's
 * conditional writes), removal, and the idle timeout's refresh. The common paths are one cache call and
 * one promise step each.
 */
export class SessionPersistence {
  readonly #context: PersistenceContext;
  readonly #options: ResolvedSessionOptions;
  readonly #calls: BoundedCacheCalls;
  /** The same options for every save (the idle timeout, sliding in the cache). */
  readonly #entryOptions: CacheEntryOptions;

  constructor(context: PersistenceContext) {
    this.#context = context;
    this.#options = context.options;
    this.#calls = context.calls;
    this.#entryOptions = Object.freeze({ slidingExpiration: context.options.idleTimeoutMs });
  }

  /**
   * Reads the session from the cache, bounded by ioTimeout, and resolves with it, or hands it to `receiver`
   * (beginThen) and resolves with nothing. Never rejects: a failed or late read leaves the session
   * unavailable for this request (a late answer is ignored).
   */
  load(state: SessionState, receiver: SessionReceiver | undefined): Promise<SessionState | undefined> {
    if (sessionLoadChannel.hasSubscribers) return this.#tracedLoad(state, receiver);
    const key = state.key;
    return this.#calls
      .run('load', () => this.#options.cache.get(key))
      .then(
        (blob) => {
          this.#applyRead(state, blob);
          return receiver === undefined ? state : deliver(state, receiver);
        },
        (error: unknown) => {
          this.#applyFailure(state, error);
          return receiver === undefined ? state : deliver(state, receiver);
        },
      );
  }

  /** load() while someone listens on sessionLoadChannel: the event ends when the read is applied. */
  #tracedLoad(state: SessionState, receiver: SessionReceiver | undefined): Promise<SessionState | undefined> {
    const key = state.key;
    const read = () =>
      this.#calls
        .run('load', () => this.#options.cache.get(key))
        .then(
          (blob) => this.#applyRead(state, blob),
          (error: unknown) => this.#applyFailure(state, error),
        );
    return traceSessionLoad(state, read).then(() =>
      receiver === undefined ? state : deliver(state, receiver),
    );
  }

  #applyRead(state: SessionState, blob: Uint8Array | undefined): SessionLoadOutcome {
    try {
      return this.#apply(state, blob);
    } catch (error) {
      this.#unavailable(state, error);
      return 'unavailable';
    }
  }

  #applyFailure(state: SessionState, error: unknown): SessionLoadOutcome {
    if (error instanceof CacheEntryConflictError) {
      this.#restart(state, error);
      return 'restarted';
    }
    this.#unavailable(state, error);
    return 'unavailable';
  }

  #apply(state: SessionState, blob: Uint8Array | undefined): SessionLoadOutcome {
    if (this.#options.merge) state.stored = blob;
    if (blob === undefined) {
      this.#options.logger?.debug('Accessing an expired session; starting it empty under the same key.');
      state.applyLoaded(undefined, true);
      return 'new';
    }
    const read = deserializeSession(blob);
    if (typeof read === 'string') {
      // Unreadable data cannot be recovered; start empty and overwrite it on commit.
      this.#context.log.log(
        'warn',
        'unreadable',
        `The stored session could not be read (${read}); starting it empty.`,
      );
      state.applyLoaded(undefined, true);
      state.modified = true;
      return 'unreadable';
    }
    state.applyLoaded(read, true);
    if (state.binding !== undefined) {
      // A signed-in session is saved only over what it was read as: a save after an ending finds nothing.
      state.stored = blob;
      this.#context.bound.loaded(state);
    }
    return 'loaded';
  }

  /**
   * The cookie's key holds something this middleware did not write: every request with that cookie would
   * fail the same way. The session starts empty under a new key (its cookie replaces the old one once a
   * value is set); the foreign entry is not touched.
   */
  #restart(state: SessionState, error: CacheEntryConflictError): void {
    this.#options.logger?.error(`${error.message} Starting a new session under a new key.`);
    this.#context.forgetCookie(state.requestCookie);
    state.key = randomUUID();
    state.cookieValue = undefined;
    state.established = false;
    state.applyLoaded(undefined, true);
  }

  #unavailable(state: SessionState, error: unknown): void {
    this.#context.log.log(
      'warn',
      'read',
      `Session cache read exception; the session is unavailable for this request: ${(error as Error).message}`,
    );
    state.unavailableCause = error;
    this.#context.loadFailed(error);
    state.applyLoaded(undefined, false);
  }

  /**
   * Saves what went through the session's methods; then, if the app also did something that cannot be
   * stored (`misuse`), fails as a save does (those values are lost), with a message saying what to call.
   * Any failure goes to `onFailure`, which settles the returned promise (rethrowing rejects it).
   */
  save(
    state: SessionState,
    endOfRequest: boolean,
    onFailure: (error: unknown) => void,
    misuse: SessionUsageError | undefined,
  ): Promise<void> {
    if (!sessionCommitChannel.hasSubscribers) return this.#save(state, endOfRequest, onFailure, misuse);
    return traceSessionCommit(state, endOfRequest, onFailure, (recorded) =>
      this.#save(state, endOfRequest, recorded, misuse),
    );
  }

  #save(
    state: SessionState,
    endOfRequest: boolean,
    onFailure: (error: unknown) => void,
    misuse: SessionUsageError | undefined,
  ): Promise<void> {
    if (misuse === undefined) return this.#persist(state, endOfRequest, onFailure);
    return this.#persist(state, endOfRequest, rejectAsCommitError)
      .then(() => Promise.reject(misuse))
      .then(undefined, onFailure);
  }

  /**
   * Saves, removes or refreshes the session as its state asks. The common write is one cache call and one
   * promise step: the bookkeeping and the failure handling ride on the same `then`.
   */
  #persist(state: SessionState, endOfRequest: boolean, onFailure: (error: unknown) => void): Promise<void> {
    if (!state.destroyed && state.established && state.cookieValue === undefined) {
      // Established before the key ring first loaded: the cookie needs the ring, so the save waits for it.
      return this.#context
        .cookieValueOnceLoaded(state.key)
        .then((cookieValue) => {
          state.cookieValue = cookieValue;
        })
        .then(() => this.#persist(state, endOfRequest, onFailure), onFailure);
    }
    if (state.destroyed) {
      if (state.destroySaved) return Promise.resolve();
      // The entry, and the one a renewKey() or regenerate() in this request replaced.
      const keys = [state.replacedKey, state.hadCookie ? state.key : undefined];
      const removed = this.#removeEntries(state, keys);
      return (
        state.binding === undefined ? removed : removed.then(() => this.#context.bound.forget(state))
      ).then(undefined, onFailure);
    }
    if (state.modified) {
      let blob: Buffer;
      try {
        blob = serializeSession(state.contents.snapshot());
      } catch (error) {
        return Promise.reject(error).then(undefined, onFailure);
      }
      if (state.binding !== undefined) return this.#saveBound(state, blob).then(undefined, onFailure);
      const key = state.key;
      // After a new key (renewKey, regenerate) the key is new to the cache: nothing to merge with.
      if (this.#options.merge && state.replacedKey === undefined)
        return this.#conditionalCommit(state, blob).then(() => state.markSaved(), onFailure);
      const entryOptions = this.#entryOptionsFor(state);
      return this.#calls
        .run('commit', () => this.#options.cache.set(key, blob, entryOptions))
        .then(
          () =>
            state.replacedKey === undefined
              ? state.markSaved()
              : this.#removeEntries(state, [state.replacedKey]).then(undefined, onFailure),
          onFailure,
        );
    }
    // A load already renewed the idle timeout (a cache get slides); only an unread session needs a refresh.
    if (endOfRequest && state.hadCookie && !state.loaded) {
      const key = state.key;
      return this.#calls.run('refresh', () => this.#options.cache.refresh(key)).then(undefined, onFailure);
    }
    return Promise.resolve();
  }

  /**
   * A signed-in session's save: the user's index first learns what changed (a save the index no longer
   * knows of is an ended session's, and writes nothing); then a conditional write, which finds nothing
   * once the session was ended, so no request in flight brings it back; a first write under a new key is
   * checked against the index afterwards, and taken back if an ending came in between.
   */
  async #saveBound(state: SessionState, blob: Buffer): Promise<void> {
    const bound = this.#context.bound;
    const created = state.stored === undefined;
    if (
      !(await bound.beforeSave(state)) ||
      !(await this.#conditionalCommit(state, blob)) ||
      (created && !(await bound.stillListed(state)))
    ) {
      // Ended: whatever is still stored under the key goes too (a session the list no longer holds, left
      // behind by a sign-out whose save failed, must not keep working unlisted).
      const key = state.key;
      noteCommitEnded(state);
      await this.#calls.run('remove', () => this.#options.cache.remove(key));
      if (state.replacedKey !== undefined) await this.#removeEntries(state, [state.replacedKey]);
      bound.ended(state);
      this.#context.forgetCookie(state.requestCookie);
      return;
    }
    if (state.replacedKey !== undefined) await this.#removeEntries(state, [state.replacedKey]);
    else state.markSaved();
  }

  /**
   * A write only over the bytes the session was read as (`state.stored`). When another request saved
   * first: in the merge mode, reads what it saved, applies this request's changes to it again and tries
   * again, after a short random pause that grows with each try (so that requests racing on one session
   * spread out); otherwise the last write wins, over what is there now. Resolves false, writing nothing,
   * when a signed-in session's entry is gone (the session was ended).
   */
  async #conditionalCommit(state: SessionState, first: Buffer): Promise<boolean> {
    const cache = this.#options.cache as DistributedCache & ConditionalSet;
    const key = state.key;
    const merge = this.#options.merge;
    let blob = first;
    for (let attempt = 1; ; attempt++) {
      const expected = state.stored;
      const entryOptions = this.#entryOptionsFor(state);
      if (await this.#calls.run('commit', () => cache.setIfUnchanged(key, blob, expected, entryOptions))) {
        state.stored = blob;
        return true;
      }
      if (attempt === MERGE_ATTEMPTS) {
        throw new SessionCommitError(
          `The session changed under this request ${MERGE_ATTEMPTS} times in a row (other requests of the same session kept saving first); its changes were not saved.`,
        );
      }
      noteConflictRetries(state, attempt);
      if (merge)
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
      const fresh = await this.#calls.run('commit', () => cache.get(key));
      if (fresh === undefined && state.binding !== undefined && expected !== undefined) return false;
      if (merge) {
        const read = fresh === undefined ? undefined : deserializeSession(fresh);
        // Unreadable data is overwritten, as a load would: the changes apply to an empty session.
        state.rebase(typeof read === 'string' ? undefined : read);
        blob = serializeSession(state.contents.snapshot());
      }
      state.stored = fresh;
    }
  }

  /**
   * A session remembered with rememberFor() lives at least as long as its cookie without use; the cache
   * slides each entry by the window it was saved with, so reads and refreshes keep it too.
   */
  #entryOptionsFor(state: SessionState): CacheEntryOptions {
    const { lifetimeMs } = state;
    if (lifetimeMs === undefined || lifetimeMs <= this.#options.idleTimeoutMs) return this.#entryOptions;
    return { slidingExpiration: lifetimeMs };
  }

  /**
   * Removes entries the request's cookie may still name (destroy(), or the old key after renewKey() or
   * regenerate()) and forgets that cookie.
   */
  async #removeEntries(state: SessionState, keys: (string | undefined)[]): Promise<void> {
    this.#context.forgetCookie(state.requestCookie);
    await Promise.all(
      keys
        .filter((key): key is string => key !== undefined)
        .map((key) => this.#calls.run('remove', () => this.#options.cache.remove(key))),
    );
    state.markSaved();
  }
}
