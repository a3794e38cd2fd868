import type { CacheEntryOptions } from '@sharedstate/caching-abstractions';
import { readUtf8 } from './utf8-text.ts';

/**
 * A user's index lives in the same cache as the sessions, under this prefix and the user id (the cache's
 * instanceName, if any, goes before it). Session keys are GUIDs, so the two never meet.
 */
export const USER_INDEX_PREFIX = 'sharedstate:user-sessions:';

export const userIndexKey = (userId: string) => USER_INDEX_PREFIX + userId;

/** One signed-in session in its user's index, as stored (epoch milliseconds). */
export interface UserIndexEntry {
  readonly handle: string;
  /** The session's cache key: what ending the session removes. Never leaves the middleware. */
  readonly key: string;
  readonly created: number;
  readonly lastSeen: number;
  /** The latest the session can still be in use, given when it was last seen (see expiresAfter). */
  readonly expires: number;
  readonly device?: string;
}

const FORMAT_VERSION = 1;

/** How long an index with no sessions left stays (a write that empties it cannot remove it conditionally). */
const EMPTY_INDEX_MS = 60_000;

/**
 * The latest a session seen at `lastSeenMs` can be in use: it may have been read again without the index
 * hearing of it for up to `lastSeenIntervalMs`, and lives `windowMs` (idle timeout, or its remembered
 * lifetime) after its last read.
 */
export const expiresAfter = (lastSeenMs: number, windowMs: number, lastSeenIntervalMs: number) =>
  lastSeenMs + lastSeenIntervalMs + windowMs;

/**
 * The live entries of a stored index: expired ones dropped (pruned at every read, and so at every write).
 * An index that cannot be read is `unreadable` (its sessions cannot be found: the caller logs it).
 */
export function readUserIndex(
  stored: Uint8Array | undefined,
  nowMs: number,
): { entries: UserIndexEntry[]; unreadable: boolean } {
  if (stored === undefined) return { entries: [], unreadable: false };
  let sessions: unknown;
  try {
    const document = JSON.parse(readUtf8(stored)) as { v?: unknown; sessions?: unknown };
    if (document.v !== FORMAT_VERSION) return { entries: [], unreadable: true };
    sessions = document.sessions;
  } catch {
    return { entries: [], unreadable: true };
  }
  if (!Array.isArray(sessions)) return { entries: [], unreadable: true };
  return { entries: sessions.filter((entry) => isEntry(entry) && entry.expires > nowMs), unreadable: false };
}

function isEntry(value: unknown): value is UserIndexEntry {
  const entry = value as Partial<Record<keyof UserIndexEntry, unknown>> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.handle === 'string' &&
    typeof entry.key === 'string' &&
    typeof entry.created === 'number' &&
    typeof entry.lastSeen === 'number' &&
    typeof entry.expires === 'number' &&
    (entry.device === undefined || typeof entry.device === 'string')
  );
}

/** The stored form: UTF-8 JSON `{"v":1,"sessions":[…]}`, the entries' fields as UserIndexEntry names them. */
export function writeUserIndex(entries: readonly UserIndexEntry[]): Buffer {
  return Buffer.from(JSON.stringify({ v: FORMAT_VERSION, sessions: entries }), 'utf8');
}

/**
 * The index entry lives as long as its longest-lived session, and no longer; relative to now, so that the
 * cache's clock and the app's need not agree.
 */
export function userIndexEntryOptions(entries: readonly UserIndexEntry[], nowMs: number): CacheEntryOptions {
  let latest = 0;
  for (const entry of entries) latest = Math.max(latest, entry.expires);
  return { absoluteExpirationRelativeToNow: latest > nowMs ? latest - nowMs : EMPTY_INDEX_MS };
}

/**
 * Past `max` entries, the ones seen least recently: those sessions are signed out (ended), so that the
 * index never grows without bound and never loses track of a session that still works.
 */
export function overCap(entries: readonly UserIndexEntry[], max: number): UserIndexEntry[] {
  if (entries.length <= max) return [];
  return [...entries].sort((a, b) => a.lastSeen - b.lastSeen).slice(0, entries.length - max);
}
