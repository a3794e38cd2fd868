import {
  EphemeralXmlRepository,
  KeyNotFoundError,
  KeyRevokedError,
  KeyRingError,
  PayloadInvalidError,
} from '@sharedstate/dataprotection-core';
import { DAY, ObservedRepository, providerFor, TestClock } from './fixtures.ts';

function setup(options: { autoGenerateKeys?: boolean } = {}) {
  const clock = new TestClock();
  const repository = new ObservedRepository(new EphemeralXmlRepository());
  const provider = providerFor(repository, { clock, applicationName: 'app', ...options });
  return { clock, repository, provider, protector: provider.createProtector('test') };
}

describe('protect and unprotect', () => {
  test('round-trips bytes and strings and creates the first key on first use', async () => {
    const { protector, provider } = setup();
    const token = await protector.protect('hello');
    expect(token.startsWith('CfDJ8')).toBe(true);
    expect(await protector.unprotect(token)).toBe('hello');
    expect(Buffer.from(await protector.unprotect(await protector.protect(Uint8Array.of(1, 2, 3))))).toEqual(
      Buffer.from([1, 2, 3]),
    );
    expect(await provider.keyManager.getAllKeys()).toHaveLength(1);
  });

  test('a payload for other purposes does not unprotect', async () => {
    const { provider } = setup();
    const token = await provider.createProtector('a').protect('x');
    await expect(provider.createProtector('b').unprotect(token)).rejects.toThrow(PayloadInvalidError);
    await expect(provider.createProtector('a', 'sub').unprotect(token)).rejects.toThrow(PayloadInvalidError);
  });

  test('the loaded ring is used without touching the repository', async () => {
    const { protector, repository } = setup();
    const token = await protector.protect('x');
    const reads = repository.reads;
    for (let i = 0; i < 50; i++) await protector.unprotect(await protector.protect(token));
    expect(repository.reads).toBe(reads);
  });
});

describe('revocation', () => {
  test('a revoked key no longer unprotects, and a new key protects from then on', async () => {
    const { protector, provider } = setup();
    const token = await protector.protect('secret');
    const [key] = await provider.keyManager.getAllKeys();
    await provider.keyManager.revokeKey(key!.id, 'leaked');
    await expect(protector.unprotect(token)).rejects.toThrow(KeyRevokedError);
    await expect(protector.unprotect(token)).rejects.toThrow(`The key {${key!.id}} has been revoked.`);
    const fresh = await protector.protect('after');
    expect(await protector.unprotect(fresh)).toBe('after');
    expect(await provider.keyManager.getAllKeys()).toHaveLength(2);
  });

  test('dangerousUnprotect reads revoked payloads and asks for migration', async () => {
    const { protector, provider, clock } = setup();
    const payload = await protector.protect(Buffer.from('old data'));
    clock.advance(1000);
    await provider.keyManager.revokeAllKeys(undefined, 'rotate everything');
    const result = await protector.dangerousUnprotect(payload, { ignoreRevocationErrors: true });
    expect(Buffer.from(result.plaintext).toString()).toBe('old data');
    expect(result).toMatchObject({ wasRevoked: true, requiresMigration: true });
    await expect(protector.dangerousUnprotect(payload)).rejects.toThrow(KeyRevokedError);
  });

  test('dangerousUnprotect of a current payload needs no migration', async () => {
    const { protector } = setup();
    const result = await protector.dangerousUnprotect(await protector.protect(Buffer.from('x')));
    expect(result).toMatchObject({ wasRevoked: false, requiresMigration: false });
  });
});

describe('changes made by other processes', () => {
  /** Two instances of one app over one stored ring, each with its own view of the storage. */
  function twoInstances(changeCheck: number | false) {
    const storage = new EphemeralXmlRepository();
    const make = () => {
      const repository = new ObservedRepository(storage);
      const provider = providerFor(repository, {
        applicationName: 'app',
        clock: { now: () => Date.now() },
        keyRingChangeCheckInterval: changeCheck,
      });
      return { repository, provider, protector: provider.createProtector('test') };
    };
    return { admin: make(), running: make() };
  }

  test('a key revoked by another process is refused by a running instance within the check interval, unasked', async () => {
    const { admin, running } = twoInstances(50);
    const token = await admin.protector.protect('x');
    expect(await running.protector.unprotect(token)).toBe('x');
    const [key] = await admin.provider.keyManager.getAllKeys();
    await admin.provider.keyManager.revokeKey(key!.id);
    const deadline = Date.now() + 5_000;
    let refused: unknown;
    while (refused === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      refused = await running.protector.unprotect(token).then(
        () => undefined,
        (error: unknown) => error,
      );
    }
    expect(refused).toBeInstanceOf(KeyRevokedError);
    // The running instance protects with a new key from then on, which the other instance reads.
    const fresh = await running.protector.protect('y');
    expect(await admin.protector.unprotect(fresh)).toBe('y');
  });

  test('with autoGenerateKeys off, revoking the only key makes it refused and protect fail, not kept for minutes', async () => {
    const storage = new EphemeralXmlRepository();
    const writer = providerFor(storage, { applicationName: 'app', keyRingChangeCheckInterval: false });
    const reader = providerFor(storage, {
      applicationName: 'app',
      autoGenerateKeys: false,
      keyRingChangeCheckInterval: false,
    });
    const token = await writer.createProtector('test').protect('x');
    expect(await reader.createProtector('test').unprotect(token)).toBe('x');
    const [key] = await writer.keyManager.getAllKeys();
    await writer.keyManager.revokeKey(key!.id);
    expect(await reader.checkForKeyRingChanges()).toBe(true);
    await expect(reader.createProtector('test').unprotect(token)).rejects.toThrow(KeyRevokedError);
    await expect(reader.createProtector('test').protect('y')).rejects.toThrow(
      /does not contain a valid default/,
    );
    await expect(reader.initialize()).rejects.toThrow(KeyRingError);
  });

  test('after a revocation two instances settle on one new key: their later checks create no more', async () => {
    const { admin, running } = twoInstances(false);
    const token = await admin.protector.protect('x');
    await running.protector.unprotect(token);
    const [key] = await admin.provider.keyManager.getAllKeys();
    await admin.provider.keyManager.revokeKey(key!.id);
    await admin.protector.protect('loads the ring again');
    // Each check may find the other instance's new key: a change, and a reload of the ring.
    for (let i = 0; i < 5; i++) {
      await admin.provider.checkForKeyRingChanges();
      await running.provider.checkForKeyRingChanges();
    }
    // The revoked key and at most one new key per instance (both may create one at the same moment).
    expect((await admin.provider.keyManager.getAllKeys()).length).toBeLessThanOrEqual(3);
    const fresh = await running.protector.protect('y');
    expect(await admin.protector.unprotect(fresh)).toBe('y');
    expect(Buffer.from(await admin.protector.protect('z'), 'base64url').subarray(4, 20)).toEqual(
      Buffer.from(fresh, 'base64url').subarray(4, 20),
    );
  });

  test('a check that finds nothing changed asks for the change token only, and reads no element', async () => {
    const { running } = twoInstances(false);
    await running.protector.protect('x');
    const { reads, checks } = running.repository;
    for (let i = 0; i < 3; i++) expect(await running.provider.checkForKeyRingChanges()).toBe(false);
    expect(running.repository.reads).toBe(reads);
    expect(running.repository.checks).toBe(checks + 3);
  });

  test('a failed check keeps the ring in memory', async () => {
    const { running } = twoInstances(false);
    const token = await running.protector.protect('x');
    running.repository.failing = new Error('storage down');
    expect(await running.provider.checkForKeyRingChanges()).toBe(false);
    expect(await running.protector.unprotect(token)).toBe('x');
  });

  test('the change-check interval is validated at construction', () => {
    expect(() =>
      providerFor(new EphemeralXmlRepository(), { keyRingChangeCheckInterval: 'often' as never }),
    ).toThrow(/keyRingChangeCheckInterval/);
  });
});

describe('key lifecycle (§2.5)', () => {
  test('a successor is created ahead of expiry, activating when the default expires', async () => {
    const { clock, protector, provider } = setup();
    const oldToken = await protector.protect('x');
    const [first] = await provider.keyManager.getAllKeys();
    // Move to 2 days before the first key expires: inside the 72-hour roll-over window.
    clock.current = first!.expirationDate.getTime() - 2 * DAY;
    provider.keyManager.onChange(() => {});
    await expect(protector.unprotect(oldToken)).resolves.toBe('x');
    // The ring was fresh until the key's expiry; force a reload as the jittered refresh would.
    await provider.keyManager.revokeKey('00000000-0000-0000-0000-000000000000');
    await protector.protect('y');
    const keys = await provider.keyManager.getAllKeys();
    expect(keys).toHaveLength(2);
    const second = keys.find((key) => key.id !== first!.id)!;
    expect(second.activationDate.getTime()).toBe(first!.expirationDate.getTime());
    // Until the first key expires it stays the default; after, the successor takes over.
    const current = await protector.protect('z');
    expect(Buffer.from(current, 'base64url').subarray(4, 20)).toEqual(Buffer.from(first!.idBytes));
    clock.current = first!.expirationDate.getTime() + 1;
    await provider.keyManager.revokeKey('00000000-0000-0000-0000-000000000000');
    const later = await protector.protect('w');
    expect(Buffer.from(later, 'base64url').subarray(4, 20)).toEqual(Buffer.from(second.idBytes));
    expect(await protector.unprotect(oldToken)).toBe('x');
  });

  test('with autoGenerateKeys off and no key, protect fails with an actionable error', async () => {
    const { protector } = setup({ autoGenerateKeys: false });
    await expect(protector.protect('x')).rejects.toThrow(KeyRingError);
    await expect(protector.protect('x')).rejects.toThrow(/autoGenerateKeys/);
  });

  test('an instance with autoGenerateKeys off uses the keys a writer created', async () => {
    const { clock, provider, repository } = setup();
    const token = await provider.createProtector('test').protect('x');
    const reader = providerFor(repository, { clock, applicationName: 'app', autoGenerateKeys: false });
    expect(await reader.createProtector('test').unprotect(token)).toBe('x');
    expect(
      await provider.createProtector('test').unprotect(await reader.createProtector('test').protect('y')),
    ).toBe('y');
    expect(await provider.keyManager.getAllKeys()).toHaveLength(1);
  });

  test('keyLifetime below a week is refused at startup', () => {
    expect(() => providerFor(new EphemeralXmlRepository(), { keyLifetime: '6d' })).toThrow(
      /at least one week/,
    );
    expect(() => providerFor(new EphemeralXmlRepository(), { keyLifetime: 'forever' })).toThrow(
      /keyLifetime/,
    );
  });
});

describe('refreshing the ring', () => {
  test('an unknown key id triggers one shared refresh, not one per request', async () => {
    const storage = new EphemeralXmlRepository();
    const clock = new TestClock();
    const writer = providerFor(storage, { clock });
    const observed = new ObservedRepository(storage);
    const reader = providerFor(observed, { clock });
    await reader.initialize(); // the reader loads a ring with the first key
    // Another instance adds a key (activated a little earlier, so the writer protects with it).
    await writer.keyManager.createKey(new Date(clock.now() - 1000), new Date(clock.now() + 90 * DAY));
    const token = await writer.createProtector('p').protect('from the writer');
    // Concurrent requests carrying a key the reader has not seen yet.
    const readsBefore = observed.reads;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => reader.createProtector('p').unprotect(token)),
    );
    expect(new Set(results)).toEqual(new Set(['from the writer']));
    expect(observed.reads - readsBefore).toBe(1);
  });

  test('made-up key ids cannot force more than one reload per interval', async () => {
    const clock = new TestClock();
    const observed = new ObservedRepository(new EphemeralXmlRepository());
    const provider = providerFor(observed, { clock, unknownKeyRefreshInterval: '5s' });
    const protector = provider.createProtector('p');
    const token = Buffer.from(await protector.protect(Buffer.from('x')));
    const forged = Buffer.from(token);
    for (let i = 1; i <= 30; i++) {
      forged[10] = token[10]! ^ i;
      await expect(protector.unprotect(forged)).rejects.toThrow(KeyNotFoundError);
    }
    const reads = observed.reads;
    clock.advance(5_000);
    forged[10] = token[10]! ^ 0xff;
    await expect(protector.unprotect(forged)).rejects.toThrow(/same applicationName and the same repository/);
    expect(observed.reads).toBe(reads + 1);
    expect(reads).toBeLessThanOrEqual(3);
  });

  test('an expired ring is served while one background refresh runs', async () => {
    const { clock, protector, repository } = setup();
    await protector.protect('x');
    const reads = repository.reads;
    clock.advance(25 * 60 * 60 * 1000);
    await Promise.all(Array.from({ length: 10 }, () => protector.protect('y')));
    await new Promise((resolve) => setImmediate(resolve));
    expect(repository.reads - reads).toBe(1);
  });

  test('a failed refresh keeps the old ring and retries two minutes later', async () => {
    const errors: string[] = [];
    const clock = new TestClock();
    const repository = new ObservedRepository(new EphemeralXmlRepository());
    const provider = providerFor(repository, {
      clock,
      logger: { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) },
    });
    const protector = provider.createProtector('p');
    const token = await protector.protect('kept');
    repository.failing = new Error('storage is down');
    clock.advance(25 * 60 * 60 * 1000);
    expect(await protector.unprotect(token)).toBe('kept');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.join()).toMatch(/storage is down/);
    const reads = repository.reads;
    expect(await protector.unprotect(token)).toBe('kept');
    expect(repository.reads).toBe(reads); // not retried within two minutes
    repository.failing = undefined;
    clock.advance(2 * 60 * 1000 + 1);
    expect(await protector.unprotect(token)).toBe('kept');
    await new Promise((resolve) => setImmediate(resolve));
    expect(repository.reads).toBe(reads + 1);
  });

  test('with no ring at all, a storage failure reaches the caller', async () => {
    const repository = new ObservedRepository(new EphemeralXmlRepository());
    repository.failing = new Error('no route to storage');
    const provider = providerFor(repository);
    await expect(provider.initialize()).rejects.toThrow('no route to storage');
  });
});

test('storing keys unencrypted logs one warning', async () => {
  const warnings: string[] = [];
  const provider = providerFor(new EphemeralXmlRepository(), {
    logger: { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) },
  });
  await provider.initialize();
  await provider.keyManager.createKey(new Date(), new Date(Date.now() + 90 * DAY));
  expect(warnings.filter((w) => w.startsWith('No XML encryptor configured.'))).toHaveLength(1);
});

test('misconfiguration fails at construction with the option named', () => {
  const repository = new EphemeralXmlRepository();
  expect(() => providerFor(repository, { applicationName: '' })).toThrow(/applicationName/);
  expect(() => providerFor({} as never)).toThrow(/repository/);
  expect(() => providerFor(repository, { algorithms: { encryption: 'DES' as never } })).toThrow(
    /encryption algorithm/,
  );
  expect(() => providerFor(repository).createProtector(undefined as never)).toThrow(/purpose/);
  // A misspelt option is not ignored: this one would leave new master keys unencrypted at rest.
  expect(() => providerFor(repository, { protectKeysWithCertficate: {} } as never)).toThrow(
    /^Unknown data protection option 'protectKeysWithCertficate': the options are applicationName, repository, .*protectKeysWithCertificate/,
  );
  expect(() => providerFor(repository, { keyLifetime: undefined, typo: undefined } as never)).not.toThrow();
});

test('protectSync needs a loaded key ring, then protects without waiting', async () => {
  const { provider, protector } = setup();
  expect(() => protector.protectSync(Buffer.from('x'))).toThrow(KeyRingError);
  await provider.initialize();
  const payload = protector.protectSync(Buffer.from('now'));
  expect(Buffer.from(await protector.unprotect(payload)).toString()).toBe('now');
});
