import {
  type ConditionalSet,
  type DistributedCache,
  supportsConditionalSet,
} from '@sharedstate/caching-abstractions';
import type { Clock, Logger } from '@sharedstate/shared-helpers';
import type { BoundedCacheCalls } from './bounded-cache-calls.ts';
import { SessionCommitError, SessionConfigurationError, SessionsNotEndedError } from './session-errors.ts';
import { checkUserId, userOfHandle } from './user-binding.ts';
import {
  overCap,
  readUserIndex,
  type UserIndexEntry,
  userIndexEntryOptions,
  userIndexKey,
  writeUserIndex,
} from './user-session-index.ts';

/** One of a user's signed-in sessions, as listSessions() gives it. */
export interface UserSessionInfo {
  /** Names the session to endSession(); holding it lets nobody use the session. */
  readonly handle: string;
  /** When the user signed in on it. */
  readonly createdAt: Date;
  /** Its last request, to within the userSessions.lastSeenInterval option. */
  readonly lastSeenAt: Date;
  /** The latest it can still be used without another request. */
  readonly expiresAt: Date;
  /** The label the app gave at signIn(), if any. */
  readonly device: string | undefined;
  /** It is the session of the request that asked (listSessions' `current`). */
  readonly current: boolean;
}

/** A user's signed-in sessions on every instance: listing and ending them. */
export interface UserSessions {
  /**
   * The user's live sessions, most recently seen first. `current` (a session's `handle`) marks the asking
   * request's own session. One cache read.
   */
  listSessions(userId: string, options?: { current?: string | undefined }): Promise<UserSessionInfo[]>;
  /**
   * Ends one session (signs that device out) on every instance: its stored session is removed, so its
   * cookie starts a fresh, signed-out session on its next request. False when the handle names no live
   * session, or, given `userId`, none of that user's (pass the signed-in user's id when the handle comes
   * from a request).
   */
  endSession(handle: string, options?: { userId?: string | undefined }): Promise<boolean>;
  /**
   * Ends every session of the user ("sign out everywhere"), but the one whose handle is `except` (keep the
   * asking device signed in). Resolves with how many were ended; a cache failure part way rejects with
   * SessionsNotEndedError, which lists what was ended and what was not.
   */
  endUserSessions(userId: string, options?: { except?: string | undefined }): Promise<number>;
}

/** What each adapter's middleware offers beside the middleware itself: its users' sessions. */
export interface UserSessionsAccess {
  /** Listing and ending each user's signed-in sessions (see session.signIn), from any instance. */
  readonly userSessions: UserSessions;
}

/** What the index needs from the middleware. */
export interface UserSessionIndexContext {
  readonly cache: DistributedCache;
  readonly calls: BoundedCacheCalls;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly maxPerUser: number;
  readonly lastSeenIntervalMs: number;
}

/**
 * A write to one index that lost to another writer is tried again on what that one wrote, after a short
 * random pause that grows with each try; this many losses in a row mean as many writers at once.
 */
const UPDATE_ATTEMPTS = 100;

/**
 * The per-user index of signed-in sessions, kept in the sessions' cache with conditional writes, so that
 * instances signing one user in at once lose none of the entries. It holds each session's cache key, which
 * is how a session is ended from any instance.
 */
export class UserSessionIndex implements UserSessions {
  readonly #context: UserSessionIndexContext;
  readonly #cache: (DistributedCache & ConditionalSet) | undefined;

  constructor(context: UserSessionIndexContext) {
    this.#context = context;
    this.#cache = supportsConditionalSet(context.cache) ? context.cache : undefined;
  }

  get lastSeenIntervalMs(): number {
    return this.#context.lastSeenIntervalMs;
  }

  /** Adds a session signed in now; the user's sessions past the cap (seen least recently) are ended. */
  add(userId: string, entry: UserIndexEntry): Promise<void> {
    return this.#update(userId, 'sign in', async (entries) => {
      const next = [...entries.filter((other) => other.handle !== entry.handle), entry];
      const over = overCap(next, this.#context.maxPerUser);
      if (over.length > 0) {
        this.#context.logger?.info(
          `User sessions: ${over.length} session(s) of a user past userSessions.maxPerUser (${this.#context.maxPerUser}) ended, least recently seen first.`,
        );
        await Promise.all(over.map((ended) => this.#removeSession(ended.key)));
      }
      return next.filter((kept) => !over.includes(kept));
    });
  }

  /** Drops a session's entry (sign-out, destroy); its stored session is the caller's to remove. */
  remove(userId: string, handle: string): Promise<void> {
    return this.#update(userId, 'sign out', (entries) =>
      entries.some((entry) => entry.handle === handle)
        ? entries.filter((entry) => entry.handle !== handle)
        : undefined,
    );
  }

  /**
   * Records that a session was seen (or moved to a new key, or took a new lifetime). Resolves false, writing
   * nothing, when the index no longer holds the session: it was ended, and must not be saved again.
   */
  async touch(
    userId: string,
    handle: string,
    change: Pick<UserIndexEntry, 'key' | 'lastSeen' | 'expires'>,
  ): Promise<boolean> {
    let found = false;
    await this.#update(userId, 'update', (entries) => {
      const index = entries.findIndex((entry) => entry.handle === handle);
      found = index >= 0;
      if (!found) return undefined;
      const next = [...entries];
      next[index] = { ...entries[index]!, ...change };
      return next;
    });
    return found;
  }

  /** Whether the index holds the session under this key: a save to a new key checks it after writing. */
  async holds(userId: string, handle: string, key: string): Promise<boolean> {
    const { entries } = await this.#read(userId);
    return entries.some((entry) => entry.handle === handle && entry.key === key);
  }

  async listSessions(userId: string, options?: { current?: string | undefined }): Promise<UserSessionInfo[]> {
    checkUserId(userId, 'listSessions()');
    const { entries } = await this.#read(userId);
    const current = options?.current;
    return entries
      .map((entry) => ({
        handle: entry.handle,
        createdAt: new Date(entry.created),
        lastSeenAt: new Date(entry.lastSeen),
        expiresAt: new Date(entry.expires),
        device: entry.device,
        current: entry.handle === current,
      }))
      .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime());
  }

  async endSession(handle: string, options?: { userId?: string | undefined }): Promise<boolean> {
    const userId = userOfHandle(handle);
    if (userId === undefined || (options?.userId !== undefined && options.userId !== userId)) return false;
    let ended = false;
    await this.#update(userId, 'end', async (entries) => {
      const entry = entries.find((candidate) => candidate.handle === handle);
      if (entry === undefined) return undefined;
      // The stored session goes first: an entry must never be dropped while its session still works.
      await this.#removeSession(entry.key);
      ended = true;
      return entries.filter((other) => other !== entry);
    });
    return ended;
  }

  async endUserSessions(userId: string, options?: { except?: string | undefined }): Promise<number> {
    checkUserId(userId, 'endUserSessions()');
    const except = options?.except;
    const ended = new Set<string>();
    let notEnded: string[] = [];
    let failure: unknown;
    try {
      await this.#update(userId, 'end', async (entries) => {
        const targets = entries.filter((entry) => entry.handle !== except && !ended.has(entry.handle));
        const outcomes = await Promise.allSettled(targets.map((entry) => this.#removeSession(entry.key)));
        notEnded = [];
        outcomes.forEach((outcome, i) => {
          const { handle } = targets[i]!;
          if (outcome.status === 'fulfilled') ended.add(handle);
          else {
            notEnded.push(handle);
            failure ??= outcome.reason;
          }
        });
        // Sessions signed in since the first read stay: they were not asked to end.
        return ended.size === 0 ? undefined : entries.filter((entry) => !ended.has(entry.handle));
      });
    } catch (error) {
      // The index could not be read or written: what had ended so far is reported with it.
      failure = error;
    }
    if (failure === undefined) return ended.size;
    const none =
      ended.size === 0 && notEnded.length === 0 ? ' (the index could not be read: none were ended)' : '';
    throw new SessionsNotEndedError(
      `Ending the user's sessions failed: ${ended.size} ended, ${notEnded.length} still signed in${none}; ` +
        `call endUserSessions() again once the cache answers: ${(failure as Error).message}`,
      [...ended],
      notEnded,
      { cause: failure },
    );
  }

  #removeSession(key: string): Promise<void> {
    return this.#context.calls.run('end', () => this.#context.cache.remove(key));
  }

  async #read(userId: string): Promise<{ entries: UserIndexEntry[]; stored: Uint8Array | undefined }> {
    const stored = await this.#context.calls.run('user index read', () =>
      this.#context.cache.get(userIndexKey(userId)),
    );
    const { entries, unreadable } = readUserIndex(stored, this.#context.clock.now());
    if (unreadable) {
      this.#context.logger?.warn(
        "A user's session index could not be read (not written by this version of sharedstate); it starts over, and the sessions it listed can no longer be ended by user.",
      );
    }
    return { entries, stored };
  }

  /**
   * Reads the user's index, computes the next one with `change` (undefined: nothing to write), and writes it
   * only over what was read; when another writer came first, runs again on what that one wrote.
   */
  async #update(
    userId: string,
    what: string,
    change: (
      entries: UserIndexEntry[],
    ) => UserIndexEntry[] | undefined | Promise<UserIndexEntry[] | undefined>,
  ): Promise<void> {
    const cache = this.#conditionalCache();
    const key = userIndexKey(userId);
    for (let attempt = 1; ; attempt++) {
      const { entries, stored } = await this.#read(userId);
      const next = await change(entries);
      if (next === undefined) return;
      const entryOptions = userIndexEntryOptions(next, this.#context.clock.now());
      const blob = writeUserIndex(next);
      if (
        await this.#context.calls.run(`user index ${what}`, () =>
          cache.setIfUnchanged(key, blob, stored, entryOptions),
        )
      )
        return;
      if (attempt === UPDATE_ATTEMPTS) {
        throw new SessionCommitError(
          `The user's session index changed under this ${what} ${UPDATE_ATTEMPTS} times in a row (as many instances wrote it at once); nothing was written.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
    }
  }

  #conditionalCache(): DistributedCache & ConditionalSet {
    if (this.#cache === undefined) {
      throw new SessionConfigurationError(
        'Signing users in (session.signIn) and listing or ending their sessions need a cache with conditional writes (setIfUnchanged): MemoryDistributedCache, RedisCache, PostgresCache or SqlServerCache, or a cache of your own that implements ConditionalSet.',
      );
    }
    return this.#cache;
  }
}
