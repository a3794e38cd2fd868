import type { Key } from './key.ts';

export const KEY_PROPAGATION_WINDOW_MS = 2 * 24 * 60 * 60 * 1000;
export const MAX_SERVER_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface DefaultKeyResolution {
  /** The key to protect with, if one qualifies. */
  defaultKey: Key | undefined;
  /** A key usable when no default qualifies and no new key can be made. */
  fallbackKey: Key | undefined;
  shouldGenerateNewKey: boolean;
}

// GUID order as .NET compares Guids: field by field as unsigned numbers, the same as comparing "D" text.
const byId = (a: Key, b: Key) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Chooses the default key as ASP.NET Core's DefaultKeyResolver does (FORMATS §2.5), so that a Node and a
 * .NET instance sharing a ring agree on which key protects new payloads. Keys older than the propagation
 * window are preferred newest first; younger keys oldest first, so a key other instances may not have
 * seen yet is not used while an established one exists. Keys an unreadable element may have revoked are
 * left out like revoked ones.
 *
 * One difference: revoked keys are left out before the preferred key is picked. ASP.NET Core picks first
 * and then finds the pick revoked, which asks for a new key; after a young key is revoked it stays the
 * pick for two days, so every load of the ring asks for yet another key. With instances re-reading the
 * ring whenever another one wrote to it, that would be a storm of new keys.
 */
export function resolveDefaultKey(
  now: number,
  keys: readonly Key[],
  canUse: (key: Key) => boolean,
): DefaultKeyResolution {
  const cutoff = now - KEY_PROPAGATION_WINDOW_MS;
  const candidates = keys.filter(
    (key) =>
      !key.isRevoked && !key.mayBeRevoked && key.activationDate.getTime() <= now + MAX_SERVER_CLOCK_SKEW_MS,
  );
  const established = candidates
    .filter((key) => key.creationDate.getTime() <= cutoff)
    .sort((a, b) => b.activationDate.getTime() - a.activationDate.getTime() || byId(a, b));
  const young = candidates
    .filter((key) => key.creationDate.getTime() > cutoff)
    .sort((a, b) => a.activationDate.getTime() - b.activationDate.getTime() || byId(a, b));
  const preferred = [...established, ...young][0];
  if (preferred && !preferred.isRevoked && !preferred.isExpired(now) && canUse(preferred)) {
    return { defaultKey: preferred, fallbackKey: undefined, shouldGenerateNewKey: false };
  }
  const fallbackCandidates = [
    ...keys
      .filter(
        (key) =>
          key !== preferred && !key.isRevoked && !key.mayBeRevoked && key.creationDate.getTime() <= cutoff,
      )
      .sort((a, b) => b.creationDate.getTime() - a.creationDate.getTime()),
    ...keys
      .filter((key) => !key.isRevoked && !key.mayBeRevoked && key.creationDate.getTime() > cutoff)
      .sort((a, b) => a.creationDate.getTime() - b.creationDate.getTime()),
  ];
  return { defaultKey: undefined, fallbackKey: fallbackCandidates.find(canUse), shouldGenerateNewKey: true };
}
