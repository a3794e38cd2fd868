import type { Clock, LogThrottle } from '@sharedstate/shared-helpers';
import type { SessionState } from './session-state.ts';
import { newHandle, type UserBinding } from './user-binding.ts';
import { expiresAfter, type UserIndexEntry } from './user-session-index.ts';
import type { UserSessionIndex } from './user-sessions.ts';

/**
 * What the middleware does for sessions a user signed in to: binding and unbinding them in the user's
 * index, and keeping that index true at each save (the session's key, last-seen time and lifetime), so
 * that ending a session from any instance finds it and no save brings an ended session back.
 */
export class BoundSessions {
  readonly #index: UserSessionIndex;
  readonly #clock: Clock;
  readonly #idleTimeoutMs: number;
  readonly #log: LogThrottle;

  constructor(index: UserSessionIndex, clock: Clock, idleTimeoutMs: number, log: LogThrottle) {
    this.#index = index;
    this.#clock = clock;
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#log = log;
  }

  /** signIn(), once the session moved to its new key: the index learns of it first, then the session. */
  async bind(state: SessionState, userId: string, device: string | undefined): Promise<void> {
    const now = this.#clock.now();
    const binding: UserBinding = { userId, handle: newHandle(userId), createdMs: now, seenMs: now, device };
    await this.#index.add(userId, this.#entry(state, binding));
    state.bind(binding);
    state.indexStale = false;
  }

  /** signOut(), regenerate() and signIn() over another user: out of the index first, then out of the session. */
  async unbind(state: SessionState): Promise<void> {
    const binding = state.binding;
    if (binding === undefined) return;
    await this.#index.remove(binding.userId, binding.handle);
    state.bind(undefined);
    state.indexStale = false;
  }

  /**
   * After a load: a session last seen more than lastSeenInterval ago records that it was seen now, which its
   * save at the end of the request writes (to the index too).
   */
  loaded(state: SessionState): void {
    const binding = state.binding;
    if (binding === undefined || !state.available) return;
    const now = this.#clock.now();
    if (now - binding.seenMs < this.#index.lastSeenIntervalMs) return;
    state.bind({ ...binding, seenMs: now });
    state.indexStale = true;
  }

  /**
   * Before a bound session is written: the index learns what changed (its key, last-seen time or lifetime).
   * False when the index no longer holds the session: it was ended, and is not to be written.
   */
  async beforeSave(state: SessionState): Promise<boolean> {
    const binding = state.binding!;
    if (!state.indexStale) return true;
    const { key, lastSeen, expires } = this.#entry(state, binding);
    if (!(await this.#index.touch(binding.userId, binding.handle, { key, lastSeen, expires }))) return false;
    state.indexStale = false;
    return true;
  }

  /**
   * After a bound session was first written under its key: whether the index still holds it there. An
   * ending of the user's sessions that read the index between the sign-in and this write did not see the
   * entry it just wrote; the caller removes it again.
   */
  stillListed(state: SessionState): Promise<boolean> {
    const binding = state.binding!;
    return this.#index.holds(binding.userId, binding.handle, state.key);
  }

  /**
   * After a signed-in session was destroyed (its entry removed): out of its user's index. A failure is
   * logged, not thrown: the session is gone, and its stale entry ends with the time it could have lived.
   */
  forget(state: SessionState): Promise<void> {
    const binding = state.binding!;
    state.binding = undefined;
    return this.#index.remove(binding.userId, binding.handle).catch((error: unknown) => {
      this.#log.log(
        'warn',
        'unlist',
        `A destroyed session could not be taken out of its user's session list; it stays listed until it would have expired: ${(error as Error).message}`,
      );
    });
  }

  /** A save found the session ended (by endSession or endUserSessions, on any instance). */
  ended(state: SessionState): void {
    this.#log.log(
      'warn',
      'ended',
      "This request's session was signed out (ended) while the request ran; its changes were not saved.",
    );
    state.bind(undefined);
    state.markSaved();
  }

  #entry(state: SessionState, binding: UserBinding): UserIndexEntry {
    const windowMs = Math.max(this.#idleTimeoutMs, state.lifetimeMs ?? 0);
    return {
      handle: binding.handle,
      key: state.key,
      created: binding.createdMs,
      lastSeen: binding.seenMs,
      expires: expiresAfter(binding.seenMs, windowMs, this.#index.lastSeenIntervalMs),
      ...(binding.device === undefined ? {} : { device: binding.device }),
    };
  }
}
