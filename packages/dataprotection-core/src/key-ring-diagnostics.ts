import {
  type KeyRingEvent,
  type KeyRingKeyCounts,
  type KeyRingLoadEvent,
  keyRingEventChannel,
  keyRingLoadChannel,
} from '@sharedstate/dataprotection-abstractions';
import { traceOperation } from '@sharedstate/shared-helpers';
import type { KeyRing } from './key-ring.ts';

/** How many of the ring's keys are in each state at `now`. */
export function keyCountsOf(ring: KeyRing, now: number): KeyRingKeyCounts {
  let active = 0;
  let pending = 0;
  let expired = 0;
  let revoked = 0;
  for (const key of ring.keys) {
    if (key.isRevoked) revoked++;
    else if (key.isExpired(now)) expired++;
    else if (key.activationDate.getTime() > now) pending++;
    else active++;
  }
  return { active, pending, expired, revoked };
}

/** Runs a load of the ring under keyRingLoadChannel when someone listens, else just runs it. */
export function traceKeyRingLoad(
  repository: string,
  now: () => number,
  load: () => Promise<KeyRing>,
): Promise<KeyRing> {
  if (!keyRingLoadChannel.hasSubscribers) return load();
  const event: KeyRingLoadEvent = { repository };
  return traceOperation(
    keyRingLoadChannel,
    event,
    load,
    (loaded, ring) => {
      loaded.outcome = 'loaded';
      loaded.keys = keyCountsOf(ring, now());
      if (ring.defaultKey !== undefined) loaded.defaultKeyId = ring.defaultKey.id;
    },
    (failed) => {
      failed.outcome = 'failed';
    },
  );
}

/** Publishes one of the ring's other moments, when someone listens. */
export function publishKeyRingEvent(event: KeyRingEvent): void {
  if (keyRingEventChannel.hasSubscribers) keyRingEventChannel.publish(event);
}

/** Publishes `revocation-seen` for each key `next` holds revoked that `previous` held unrevoked or not at all. */
export function publishRevocationsSeen(previous: KeyRing, next: KeyRing, repository: string): void {
  if (!keyRingEventChannel.hasSubscribers) return;
  for (const key of next.keys) {
    if (key.isRevoked && previous.getKey(key.id)?.isRevoked !== true)
      keyRingEventChannel.publish({ kind: 'revocation-seen', repository, keyId: key.id });
  }
}
