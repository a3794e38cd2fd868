import { randomBytes } from 'node:crypto';
import { SessionUsageError } from './session-errors.ts';
import { readUtf8 } from './utf8-text.ts';

/**
 * The entry in which a signed-in session keeps whose it is, inside the stored session: every instance reads
 * it with the session, in the same cache call. Hidden from keys() and get(), as the lifetime entry is; an
 * ASP.NET Core app sharing the session sees one more string value (JSON).
 */
export const USER_KEY = '.sharedstate.user';

/** Longest user id signIn() takes: it is part of a cache key, and SQL Server's keys end at 449 characters. */
export const MAX_USER_ID_LENGTH = 200;
/** Longest device label: it is listed back, never interpreted. */
export const MAX_DEVICE_LENGTH = 200;

/** Whose session this is, as signIn() recorded it. */
export interface UserBinding {
  readonly userId: string;
  /** The session's handle in its user's index (see handleFor). */
  readonly handle: string;
  /** When the user signed in, epoch milliseconds. */
  readonly createdMs: number;
  /** When the index last heard of this session, epoch milliseconds. */
  readonly seenMs: number;
  readonly device: string | undefined;
}

/**
 * A session's handle: 128 random bits, then the user id, both base64url. It names the session in listings
 * and to endSession(); it is neither the cache key nor the cookie, so holding one lets nobody use the
 * session. The user id inside lets endSession() find the index without being told the user.
 */
export function newHandle(userId: string): string {
  return `${randomBytes(16).toString('base64url')}.${Buffer.from(userId, 'utf8').toString('base64url')}`;
}

const HANDLE = /^[A-Za-z0-9_-]{22}\.([A-Za-z0-9_-]+)$/;

/** The user id a handle names, or undefined for a string that is not a handle. */
export function userOfHandle(handle: unknown): string | undefined {
  if (typeof handle !== 'string') return undefined;
  const match = HANDLE.exec(handle);
  if (match === null) return undefined;
  const userId = Buffer.from(match[1]!, 'base64url').toString('utf8');
  return userId.length > 0 && userId.length <= MAX_USER_ID_LENGTH ? userId : undefined;
}

/** Refuses a user id signIn() or a listing cannot take, saying what it takes. */
export function checkUserId(userId: unknown, method: string): string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
    throw new SessionUsageError(
      `${method} takes the user's id as a string of 1 to ${MAX_USER_ID_LENGTH} characters (a number: String(id)); got ${typeof userId === 'string' ? `${userId.length} characters` : typeof userId}.`,
    );
  }
  return userId;
}

/** Refuses a device label that is not a short string. */
export function checkDevice(device: unknown): string | undefined {
  if (device === undefined) return undefined;
  if (typeof device !== 'string' || device.length > MAX_DEVICE_LENGTH) {
    throw new SessionUsageError(
      `signIn()'s device is a label of up to ${MAX_DEVICE_LENGTH} characters (such as 'Firefox on Linux'); got ${typeof device === 'string' ? `${device.length} characters` : typeof device}.`,
    );
  }
  return device;
}

export function encodeBinding(binding: UserBinding): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      user: binding.userId,
      handle: binding.handle,
      created: binding.createdMs,
      seen: binding.seenMs,
      ...(binding.device === undefined ? {} : { device: binding.device }),
    }),
    'utf8',
  );
}

/** The binding a stored session holds; undefined for none, or for a value this module did not write. */
export function decodeBinding(stored: Uint8Array | undefined): UserBinding | undefined {
  if (stored === undefined) return undefined;
  try {
    const value = JSON.parse(readUtf8(stored)) as Record<string, unknown>;
    const { user, handle, created, seen, device } = value;
    if (
      typeof user !== 'string' ||
      userOfHandle(handle) !== user ||
      typeof created !== 'number' ||
      typeof seen !== 'number' ||
      (device !== undefined && typeof device !== 'string')
    )
      return undefined;
    return { userId: user, handle: handle as string, createdMs: created, seenMs: seen, device };
  } catch {
    return undefined;
  }
}
