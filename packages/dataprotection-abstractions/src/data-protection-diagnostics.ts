import { type Channel, channel, type TracingChannel, tracingChannel } from 'node:diagnostics_channel';
import {
  KeyNotFoundError,
  KeyRevokedError,
  PayloadExpiredError,
  RepositoryUnavailableError,
} from './data-protection-errors.ts';

/** The name of the channel a cookie's unprotect is published on: one message per cookie a request brings. */
export const COOKIE_UNPROTECT_CHANNEL = 'sharedstate.cookie.unprotect';

/**
 * How unprotecting a cookie ended: `ok`; `tampered` (not a payload of this purpose: altered, truncated,
 * foreign, or not what the cookie should hold); `unknown-key` (protected with a key this key ring lacks);
 * `revoked-key`; `expired` (a time-limited payload past its expiration); `ring-unavailable` (the key ring
 * could not be read to tell).
 */
export type CookieUnprotectOutcome =
  | 'ok'
  | 'tampered'
  | 'unknown-key'
  | 'revoked-key'
  | 'expired'
  | 'ring-unavailable';

/** What a cookie unprotect message carries: never the cookie's value. */
export interface CookieUnprotectEvent {
  /** Which cookie: `session` for the session middleware's. */
  readonly cookie: string;
  readonly outcome: CookieUnprotectOutcome;
  /** True when the cookie was unprotected moments ago and remembered: no cryptography ran this time. */
  readonly cached: boolean;
  /** The failure, for every outcome but `ok`. */
  readonly error?: unknown;
}

export const cookieUnprotectChannel: Channel<unknown, CookieUnprotectEvent> = channel(
  COOKIE_UNPROTECT_CHANNEL,
) as Channel<unknown, CookieUnprotectEvent>;

/** The outcome of an unprotect that threw `error`. */
export function cookieUnprotectOutcomeOf(error: unknown): Exclude<CookieUnprotectOutcome, 'ok'> {
  if (error instanceof KeyNotFoundError) return 'unknown-key';
  if (error instanceof KeyRevokedError) return 'revoked-key';
  if (error instanceof PayloadExpiredError) return 'expired';
  if (error instanceof RepositoryUnavailableError) return 'ring-unavailable';
  return 'tampered';
}

/**
 * The name of the TracingChannel each load of a key ring from its repository is published on (the first
 * load, background refreshes, reloads after a detected change).
 */
export const KEY_RING_LOAD_CHANNEL = 'sharedstate.key_ring.load';

/** How many keys of a loaded ring are in each state. */
export interface KeyRingKeyCounts {
  /** Activated, not expired, not revoked: may protect (the default key is one of them). */
  readonly active: number;
  /** Not activated yet (a successor created ahead of the default key's expiry). */
  readonly pending: number;
  /** Past their expiration: unprotect only. */
  readonly expired: number;
  readonly revoked: number;
}

/** What a key ring load's events carry. */
export interface KeyRingLoadEvent {
  /** The repository, as its description names it (e.g. `RedisXmlRepository 'DataProtection-Keys'`). */
  readonly repository: string;
  /** Set before `asyncEnd`: `loaded`, or `failed` (see `error`; a ring loaded before stays in use). */
  outcome?: 'loaded' | 'failed';
  /** Set on `loaded`. */
  keys?: KeyRingKeyCounts;
  /** Set on `loaded`: the id of the key that protects, if any. */
  defaultKeyId?: string;
  error?: unknown;
}

export const keyRingLoadChannel: TracingChannel<unknown, KeyRingLoadEvent> =
  tracingChannel(KEY_RING_LOAD_CHANNEL);

/** The name of the channel a key ring's other moments are published on. */
export const KEY_RING_EVENT_CHANNEL = 'sharedstate.key_ring.event';

/**
 * `checked`: the change check (every keyRingChangeCheckInterval, or on a push) read the repository's change
 * token; the ring in memory is as fresh as that read. `change-detected`: the change check (or a push from the store) found the stored ring changed, and it is
 * reloaded. `key-created`: this process created a key (`keyId`). `revocation-seen`: a load found a key
 * revoked that the ring before it did not (`keyId`). `unreadable-element`: a load found an element it cannot
 * read (`reason`; reported once per element). `change-check-failed`: asking the repository for changes
 * failed (`error`); the ring in memory stays in use.
 */
export type KeyRingEventKind =
  | 'checked'
  | 'change-detected'
  | 'key-created'
  | 'revocation-seen'
  | 'unreadable-element'
  | 'change-check-failed';

export interface KeyRingEvent {
  readonly kind: KeyRingEventKind;
  readonly repository: string;
  readonly keyId?: string;
  readonly reason?: string;
  readonly error?: unknown;
}

export const keyRingEventChannel: Channel<unknown, KeyRingEvent> = channel(KEY_RING_EVENT_CHANNEL) as Channel<
  unknown,
  KeyRingEvent
>;
