import {
  EphemeralXmlRepository,
  KeyRevokedError,
  KeyRingError,
  type XmlRepository,
} from '@sharedstate/dataprotection-core';
import { recordingLogger } from '@sharedstate/testing';
import { providerFor } from './fixtures.ts';

/** A key element cut off halfway, as a failed copy leaves it: not well-formed, so its kind cannot be told. */
async function truncatedCopyOfFirstKey(repository: XmlRepository): Promise<string> {
  const [first] = await repository.getAllElements();
  return first!.slice(0, Math.floor(first!.length / 2));
}

const DOCTYPE_ELEMENT =
  '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><revocation version="1">&lol2;</revocation>';

function instance(storage: XmlRepository, options: { autoGenerateKeys?: boolean } = {}) {
  const log = recordingLogger();
  const provider = providerFor(storage, {
    applicationName: 'app',
    clock: { now: () => Date.now() },
    keyRingChangeCheckInterval: false,
    logger: log.logger,
    ...options,
  });
  return { provider, protector: provider.createProtector('test'), log };
}

const keyIdOf = (payload: string) => {
  const bytes = Buffer.from(payload, 'base64url').subarray(4, 20);
  const hex = Buffer.concat([
    Buffer.from(bytes.subarray(0, 4)).reverse(),
    Buffer.from(bytes.subarray(4, 6)).reverse(),
    Buffer.from(bytes.subarray(6, 8)).reverse(),
    bytes.subarray(8),
  ]).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

describe('one unreadable element does not stop the key ring', () => {
  for (const [name, bad] of [
    ['a truncated copy of a key', truncatedCopyOfFirstKey],
    ['an element with a DTD', async () => DOCTYPE_ELEMENT],
  ] as const) {
    test(`${name}: a new instance starts, reads old payloads and protects new ones with a key stored after it`, async () => {
      const storage = new EphemeralXmlRepository();
      const first = instance(storage);
      const old = await first.protector.protect('before');
      await storage.storeElement(await bad(storage), 'bad');

      const fresh = instance(storage);
      await fresh.provider.initialize();
      expect(await fresh.protector.unprotect(old)).toBe('before');
      const made = await fresh.protector.protect('after');
      // Fail closed: the bad element may have revoked any key stored before it, so none of those protects.
      expect(keyIdOf(made)).not.toBe(keyIdOf(old));
      expect(await first.protector.unprotect(made)).toBe('after');
      expect(fresh.log.errors.join('\n')).toMatch(/at element #2: /);
      expect(fresh.log.errors.join('\n')).not.toContain('lol');
    });
  }

  test('a revocation stored after a bad element reaches a running instance', async () => {
    const storage = new EphemeralXmlRepository();
    const admin = instance(storage);
    const running = instance(storage);
    const payload = await admin.protector.protect('x');
    expect(await running.protector.unprotect(payload)).toBe('x');
    await storage.storeElement(DOCTYPE_ELEMENT, 'bad');
    expect(await running.provider.checkForKeyRingChanges()).toBe(true);
    expect(await running.protector.unprotect(payload)).toBe('x');
    await admin.provider.keyManager.revokeKey(keyIdOf(payload), 'leaked');
    expect(await running.provider.checkForKeyRingChanges()).toBe(true);
    await expect(running.protector.unprotect(payload)).rejects.toThrow(KeyRevokedError);
  });

  test('a revocation whose date cannot be read still revokes the key it names', async () => {
    const storage = new EphemeralXmlRepository();
    const app = instance(storage);
    const payload = await app.protector.protect('x');
    await storage.storeElement(
      `<revocation version="1"><revocationDate>yesterday</revocationDate><key id="${keyIdOf(payload)}" /></revocation>`,
      'bad-revocation',
    );
    const fresh = instance(storage);
    await expect(fresh.protector.unprotect(payload)).rejects.toThrow(KeyRevokedError);
    expect(fresh.log.errors.join('\n')).toMatch(/revocationDate/);
  });

  test('a readable key and a second copy of it: the copy is reported and skipped', async () => {
    const storage = new EphemeralXmlRepository();
    const app = instance(storage);
    const payload = await app.protector.protect('x');
    const [key] = await storage.getAllElements();
    await storage.storeElement(key!, 'copy');
    const fresh = instance(storage);
    expect(await fresh.protector.unprotect(payload)).toBe('x');
    expect(keyIdOf(await fresh.protector.protect('y'))).toBe(keyIdOf(payload));
    expect(fresh.log.errors.join('\n')).toMatch(/already in the ring/);
  });

  test('the bad element is reported once per change of the ring, not once per load or request', async () => {
    const storage = new EphemeralXmlRepository();
    const app = instance(storage);
    await app.protector.protect('x');
    await storage.storeElement(DOCTYPE_ELEMENT, 'bad');
    const running = instance(storage);
    for (let i = 0; i < 5; i++) await running.protector.unprotect(await running.protector.protect('y'));
    await app.provider.keyManager.createKey(new Date(), new Date(Date.now() + 90 * 86_400_000));
    await running.provider.checkForKeyRingChanges();
    expect(running.log.errors.filter((e) => e.includes('element #2'))).toHaveLength(1);
  });

  test('the key manager lists the bad elements and removes them; the ring is whole again', async () => {
    const storage = new EphemeralXmlRepository();
    const app = instance(storage);
    const payload = await app.protector.protect('x');
    await storage.storeElement(DOCTYPE_ELEMENT, 'bad');
    await storage.storeElement('<key id="not-a-guid" version="1" />', 'bad-key');
    const { keys, invalidElements } = await app.provider.keyManager.readKeyRing();
    expect(keys.map((key) => key.id)).toEqual([keyIdOf(payload)]);
    expect(invalidElements.map(({ location, treatedAs }) => ({ location, treatedAs }))).toEqual([
      { location: 'element #2', treatedAs: 'possible revocation' },
      { location: 'element #3', treatedAs: 'unusable key' },
    ]);
    expect(await app.provider.keyManager.deleteInvalidElements()).toBe(2);
    expect((await app.provider.keyManager.readKeyRing()).invalidElements).toEqual([]);
    const after = instance(storage);
    expect(keyIdOf(await after.protector.protect('z'))).toBe(keyIdOf(payload));
  });

  test('with autoGenerateKeys off, keys stored before a bad element do not protect, and the error says why', async () => {
    const storage = new EphemeralXmlRepository();
    const writer = instance(storage);
    const payload = await writer.protector.protect('x');
    await storage.storeElement(DOCTYPE_ELEMENT, 'bad');
    const reader = instance(storage, { autoGenerateKeys: false });
    expect(await reader.protector.unprotect(payload)).toBe('x');
    await expect(reader.protector.protect('y')).rejects.toThrow(KeyRingError);
    await expect(reader.protector.protect('y')).rejects.toThrow(/remove-invalid/);
  });
});
