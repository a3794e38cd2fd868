import type { Key } from '@sharedstate/dataprotection-core';

/** Where a key stands at a moment: what an operator asks first of each key. */
export type KeyStatus = 'revoked' | 'expired' | 'active' | 'pending';

export function keyStatus(key: Key, now: number): KeyStatus {
  if (key.isRevoked) return 'revoked';
  if (key.isExpired(now)) return 'expired';
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
