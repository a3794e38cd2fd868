import type { InvalidElementTreatment, InvalidKeyRingElement, Key } from '@sharedstate/dataprotection-core';

/**
 * Where a key stands at a moment: what an operator asks first of each key. `suspended`: an element the ring
 * cannot read was stored after it and may have revoked it, so it unprotects but no longer protects.
 */
export type KeyStatus = 'revoked' | 'expired' | 'suspended' | 'active' | 'pending';

export function keyStatus(key: Key, now: number): KeyStatus {
  if (key.isRevoked) return 'revoked';
  if (key.isExpired(now)) return 'expired';
  if (key.mayBeRevoked) return 'suspended';
  return key.activationDate.getTime() <= now ? 'active' : 'pending';
}

/** A key as `--json` prints it. */
export interface KeyDescription {
  id: string;
  status: KeyStatus;
  creationDate: string;
  activationDate: string;
  expirationDate: string;
}

export function describeKey(key: Key, now: number): KeyDescription {
  return {
    id: key.id,
    status: keyStatus(key, now),
    creationDate: key.creationDate.toISOString(),
    activationDate: key.activationDate.toISOString(),
    expirationDate: key.expirationDate.toISOString(),
  };
}

/** An element the ring cannot read, as `list --json` prints it (never its content: it may hold key material). */
export interface InvalidElementDescription {
  status: 'invalid';
  location: string;
  treatedAs: InvalidElementTreatment;
  keyId: string | null;
  reason: string;
}

export function describeInvalidElement(element: InvalidKeyRingElement): InvalidElementDescription {
  return {
    status: 'invalid',
    location: element.location,
    treatedAs: element.treatedAs,
    keyId: element.keyId ?? null,
    reason: element.reason,
  };
}

/** One entry of `list --json`: a key, or an element that cannot be read (after the keys). */
export type KeyListEntry = KeyDescription | InvalidElementDescription;
