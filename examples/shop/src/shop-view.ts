import { bytesToGuid, type DataProtectionProvider } from '@sharedstate/dataprotection-core';
import type { Session, UserSessions } from '@sharedstate/session-express';
import type { ShopSession } from './shop-page.ts';

/** The session middleware's cookie name (its default). */
export const SESSION_COOKIE = 'sharedstate.sid';

/** One key of the ring, as the page lists it. */
export interface KeyView {
  id: string;
  created: string;
  activation: string;
  expiration: string;
  status: 'revoked' | 'expired' | 'not yet active' | 'active';
}

/** One shop instance the demo runs, as its control panel lists it. */
export interface InstanceView {
  name: string;
  pid: number;
  port: number;
}

/** What the demo's controller (the proxy in front of the instances) tells the instance it forwards to. */
export interface ClusterView {
  instances: InstanceView[];
  /** How soon every instance notices a key created or revoked elsewhere. */
  keyRingCheck: string;
  /** Where the instances share sessions and keys: 'Redis' or 'PostgreSQL'. */
  store: string;
}

/** Everything the shop page shows: the shop itself and the story under it. */
export interface ShopView {
  user: string | undefined;
  cart: string[];
  remembered: boolean;
  instance: string;
  pid: number;
  session: { id: string; isNew: boolean; entries: [string, string][] };
  /** The key whose id the request's session cookie carries; undefined when the request sent none. */
  cookieKeyId: string | undefined;
  keys: KeyView[];
  cluster: ClusterView | undefined;
  /** A key revoked from the page just now (the demo's redirect says so). */
  revoked: string | undefined;
  /** The signed-in user's sessions ("Your devices"); undefined when nobody is signed in. */
  devices?: DeviceView[] | undefined;
}

/** One of the signed-in user's sessions, as "Your devices" lists it. */
export interface DeviceView {
  handle: string;
  device: string;
  signedIn: string;
  lastSeen: string;
  current: boolean;
}

/** A short label for the browser a request came from: "Chrome on Linux". */
export function deviceLabel(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  // Edge's agent names Chrome too, and Chrome's names Safari: the first match wins.
  const browsers: [string, string][] = [
    ['Edg/', 'Edge'],
    ['Firefox/', 'Firefox'],
    ['Chrome/', 'Chrome'],
    ['Safari/', 'Safari'],
  ];
  const browser = browsers.find(([token]) => ua.includes(token))?.[1] ?? 'A browser';
  const system = ['Android', 'iPhone', 'Windows', 'Mac OS', 'Linux'].find((name) => ua.includes(name));
  return system === undefined ? browser : `${browser} on ${system}`;
}

/** The signed-in user's sessions, the one of this request marked. */
export async function deviceViews(users: UserSessions, session: Session<object>): Promise<DeviceView[]> {
  const listed = await users.listSessions(session.userId!, { current: session.handle });
  return listed.map((entry) => ({
    handle: entry.handle,
    device: entry.device ?? 'A browser',
    signedIn: entry.createdAt.toISOString(),
    lastSeen: entry.lastSeenAt.toISOString(),
    current: entry.current,
  }));
}

/** The value of one cookie in a Cookie header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      // A tampered cookie may not even be valid percent-encoding: the page then shows no key, not an error.
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * The id of the key a session cookie names: a protected payload starts with a 4-byte magic header and the
 * 16-byte key id (FORMATS.md §1.1). Only read for display; whether the key still unprotects is the
 * middleware's business.
 */
export function keyIdOfCookie(cookieHeader: string | undefined): string | undefined {
  const value = cookieValue(cookieHeader, SESSION_COOKIE);
  if (!value) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length >= 20 ? bytesToGuid(bytes.subarray(4, 20)) : undefined;
}

/** The ring's keys, newest first, with what each can still do. */
export async function keyViews(dataProtection: DataProtectionProvider): Promise<KeyView[]> {
  const now = Date.now();
  const keys = await dataProtection.keyManager.getAllKeys();
  return keys
    .slice()
    .sort((a, b) => b.creationDate.getTime() - a.creationDate.getTime())
    .map((key) => ({
      id: key.id,
      created: key.creationDate.toISOString(),
      activation: key.activationDate.toISOString(),
      expiration: key.expirationDate.toISOString(),
      status: key.isRevoked
        ? 'revoked'
        : key.expirationDate.getTime() <= now
          ? 'expired'
          : key.activationDate.getTime() > now
            ? 'not yet active'
            : 'active',
    }));
}

/** The session's entries as text: what the cache holds for this user. */
export function sessionEntries(session: Session<ShopSession>): [string, string][] {
  return session.keys().map((key) => [key, Buffer.from(session.get(key)!).toString('utf8')]);
}

/** The cluster description the demo's proxy sends along, read only when this instance runs under it. */
export function clusterViewOf(header: string | string[] | undefined): ClusterView | undefined {
  if (process.env.SHOP_DEMO_CONTROL !== '1' || typeof header !== 'string') return undefined;
  try {
    return JSON.parse(header) as ClusterView;
  } catch {
    return undefined;
  }
}
