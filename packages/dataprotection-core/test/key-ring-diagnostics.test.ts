// The key ring's diagnostics_channel events: each load (with its keys by state), keys created, changes and
// revocations found, unreadable elements, and failed checks, on a real in-memory repository.
import {
  KEY_RING_EVENT_CHANNEL,
  KEY_RING_LOAD_CHANNEL,
  type KeyRingEvent,
  type KeyRingLoadEvent,
} from '@sharedstate/dataprotection-abstractions';
import { EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { recordChannel, recordTracingChannel } from '@sharedstate/testing';
import { ObservedRepository, providerFor } from './fixtures.ts';

const recordings: { stop(): void }[] = [];
afterEach(() => {
  for (const recording of recordings.splice(0)) recording.stop();
});

function watch() {
  const loads = recordTracingChannel<KeyRingLoadEvent>(KEY_RING_LOAD_CHANNEL);
  const events = recordChannel<KeyRingEvent>(KEY_RING_EVENT_CHANNEL);
  recordings.push(loads, events);
  return { loads, events };
}

function instance(repository: ObservedRepository) {
  return providerFor(repository, {
    applicationName: 'app',
    clock: { now: () => Date.now() },
    keyRingChangeCheckInterval: false,
    logger: false,
  });
}

test('the first load creates a key, and publishes it and the ring it loaded', async () => {
  const repository = new ObservedRepository(new EphemeralXmlRepository());
  const { loads, events } = watch();
  const provider = instance(repository);
  await provider.initialize();
  const [created] = events.messages;
  expect(created).toEqual({
    kind: 'key-created',
    repository: repository.description,
    keyId: expect.any(String),
  });
  expect(loads.ended()).toEqual([
    {
      repository: repository.description,
      outcome: 'loaded',
      keys: { active: 1, pending: 0, expired: 0, revoked: 0 },
      defaultKeyId: created?.keyId,
    },
  ]);
  expect(loads.messages.map(({ phase }) => phase)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
});

test("another instance's revocation is found by the change check, reloaded and published as seen", async () => {
  const storage = new EphemeralXmlRepository();
  const running = instance(new ObservedRepository(storage));
  const operator = instance(new ObservedRepository(storage));
  await running.initialize();
  await operator.initialize();
  const { loads, events } = watch();
  const [key] = await operator.keyManager.getAllKeys();
  await operator.keyManager.revokeKey(key!.id, 'compromised');
  expect(await running.checkForKeyRingChanges()).toBe(true);
  const kinds = events.messages.map(({ kind, keyId }) => (keyId === undefined ? kind : `${kind} ${keyId}`));
  expect(kinds).toContain('change-detected');
  expect(kinds).toContain(`revocation-seen ${key!.id}`);
  // The reload found the revoked key and created a new default key in its place.
  const reloaded = loads.ended().at(-1);
  expect(reloaded?.keys).toMatchObject({ revoked: 1, active: 1 });
  expect(reloaded?.defaultKeyId).not.toBe(key!.id);
});

test('an unreadable element is published once, with its reason', async () => {
  const storage = new EphemeralXmlRepository();
  await instance(new ObservedRepository(storage)).initialize();
  await storage.storeElement('<key id="broken"', 'broken');
  const { events } = watch();
  const provider = instance(new ObservedRepository(storage));
  await provider.initialize();
  const unreadable = events.messages.filter(({ kind }) => kind === 'unreadable-element');
  expect(unreadable).toHaveLength(1);
  expect(unreadable[0]?.reason).toEqual(expect.any(String));
});

test('a failed first load, and a failed change check, are published with their errors', async () => {
  const repository = new ObservedRepository(new EphemeralXmlRepository());
  const provider = instance(repository);
  const { loads, events } = watch();
  repository.failing = new Error('store unreachable');
  await expect(provider.initialize()).rejects.toThrow('store unreachable');
  expect(loads.ended()).toEqual([
    { repository: repository.description, outcome: 'failed', error: repository.failing },
  ]);
  expect(loads.messages.filter(({ phase }) => phase === 'error')).toHaveLength(1);
  repository.failing = undefined;
  await provider.initialize();
  repository.failing = new Error('store unreachable again');
  expect(await provider.checkForKeyRingChanges()).toBe(false);
  expect(events.messages.at(-1)).toEqual({
    kind: 'change-check-failed',
    repository: repository.description,
    error: repository.failing,
  });
});
