import assert from 'node:assert/strict';
import { KeyRevokedError } from '@sharedstate/dataprotection-abstractions';
import { bytesToGuid } from '@sharedstate/shared-helpers';
import { createDataProtection } from '../data-protection-provider.ts';
import { parseXmlElement, serializeCompact } from '../xml-document.ts';
import type { XmlRepository } from '../xml-repository.ts';

/** Storage for one case: open() may be called several times, each giving a new repository over the same storage. */
export interface RepositoryStorage {
  open(): XmlRepository | Promise<XmlRepository>;
  cleanup?(): Promise<void> | void;
  /**
   * Optional: appends `text` to the storage as a damaged copy or another writer would leave it, bypassing
   * the repository (an RPUSH, a file, a row). Storage holding one document (a blob) sets
   * `damagedElementsAreWellFormed` and gets well-formed text to put among the document's elements.
   */
  storeDamaged?(text: string): Promise<void>;
  readonly damagedElementsAreWellFormed?: boolean;
}

export interface RepositoryConformanceOptions {
  /** Fresh, empty storage for each case. */
  createStorage(): RepositoryStorage | Promise<RepositoryStorage>;
}

export interface RepositoryCase {
  name: string;
  run(storage: RepositoryStorage): Promise<void>;
}

// Compare elements by their parsed, compact form: repositories may re-indent or add a declaration.
const canonical = (xml: string) => serializeCompact(parseXmlElement(xml));
const sorted = (elements: readonly string[]) => elements.map(canonical).sort();

/** The id of the key a payload (base64url, as protect(string) returns it) was protected with. */
const payloadKeyId = (payload: string) => bytesToGuid(Buffer.from(payload, 'base64url').subarray(4, 20));

/** Text whose meaning cannot be told, and a well-formed element that is no readable revocation. */
const NOT_WELL_FORMED = '<!DOCTYPE r [<!ENTITY e "e">]><revocation version="1"><revocationDate>&e;';
const UNREADABLE_REVOCATION =
  '<revocation version="1"><revocationDate>not a date</revocationDate><key id="*" /></revocation>';

const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

const keyElement = (n: number) =>
  `<key id="00000000-0000-0000-0000-${String(n).padStart(12, '0')}" version="1"><creationDate>2030-01-01T00:00:00Z</creationDate></key>`;

export const repositoryCases: readonly RepositoryCase[] = [
  {
    name: 'an empty repository returns no elements',
    async run(storage) {
      assert.deepEqual(await (await storage.open()).getAllElements(), []);
    },
  },
  {
    name: 'a stored element is returned with the same content',
    async run(storage) {
      const repository = await storage.open();
      await repository.storeElement(keyElement(1), 'key-00000000-0000-0000-0000-000000000001');
      assert.deepEqual(sorted(await repository.getAllElements()), sorted([keyElement(1)]));
    },
  },
  {
    name: 'namespaces, comments and attributes survive the round trip',
    async run(storage) {
      const repository = await storage.open();
      const element =
        '<key id="00000000-0000-0000-0000-000000000002" version="1"><descriptor deserializerType="A, B, Version=8.0.0.0"><masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/dataProtection"><!-- Warning: the key below is in an unencrypted form. --><value>AAEC</value></masterKey></descriptor></key>';
      await repository.storeElement(element, 'key-2');
      const [stored] = await repository.getAllElements();
      assert.ok(stored, 'the element was not returned');
      assert.equal(canonical(stored), canonical(element));
      const masterKey = parseXmlElement(stored).getElementsByTagName('masterKey')[0];
      assert.equal(
        masterKey?.getAttributeNS('http://schemas.asp.net/2015/03/dataProtection', 'requiresEncryption'),
        'true',
      );
    },
  },
  {
    name: 'every stored element is returned, whatever the friendly names',
    async run(storage) {
      const repository = await storage.open();
      const elements = [1, 2, 3, 4, 5].map(keyElement);
      const names = ['key-a', 'key-a', 'not a safe/name', '', 'revocation-20300101T000000Z'];
      for (const [i, element] of elements.entries()) await repository.storeElement(element, names[i]!);
      assert.deepEqual(sorted(await repository.getAllElements()), sorted(elements));
    },
  },
  {
    name: 'a second repository over the same storage sees the first one’s elements',
    async run(storage) {
      const first = await storage.open();
      const second = await storage.open();
      await first.storeElement(keyElement(7), 'key-7');
      assert.deepEqual(sorted(await second.getAllElements()), sorted([keyElement(7)]));
      await second.storeElement(keyElement(8), 'key-8');
      assert.deepEqual(sorted(await first.getAllElements()), sorted([keyElement(7), keyElement(8)]));
    },
  },
  {
    name: 'concurrent writers from several repositories lose no element',
    async run(storage) {
      const repositories = await Promise.all(Array.from({ length: 10 }, () => storage.open()));
      const elements = repositories.map((_, i) => keyElement(100 + i));
      await Promise.all(
        repositories.map((repository, i) => repository.storeElement(elements[i]!, `key-${100 + i}`)),
      );
      assert.deepEqual(sorted(await repositories[0]!.getAllElements()), sorted(elements));
    },
  },
  {
    name: 'deletion, where supported, removes exactly the selected elements',
    async run(storage) {
      const repository = await storage.open();
      if (!repository.deleteElements) return;
      const elements = [21, 22, 23].map(keyElement);
      for (const element of elements) await repository.storeElement(element, 'x');
      const removed = await repository.deleteElements((element) => element.includes('000000000022'));
      assert.equal(removed, 1);
      assert.deepEqual(sorted(await repository.getAllElements()), sorted([keyElement(21), keyElement(23)]));
    },
  },
  {
    name: 'the change token, where supported, changes when another repository stores an element, and only then',
    async run(storage) {
      const first = await storage.open();
      const second = await storage.open();
      if (!first.getChangeToken) return;
      const empty = await first.getChangeToken();
      assert.equal(await first.getChangeToken(), empty, 'the token changed while the storage did not');
      await second.storeElement(keyElement(31), 'key-31');
      const afterKey = await first.getChangeToken();
      assert.notEqual(afterKey, empty, 'a stored key did not change the token');
      assert.equal(await first.getChangeToken(), afterKey, 'the token changed while the storage did not');
      await second.storeElement(
        '<revocation version="1"><revocationDate>2030-01-02T00:00:00Z</revocationDate><key id="00000000-0000-0000-0000-000000000031" /><reason>test</reason></revocation>',
        'revocation-31',
      );
      assert.notEqual(await first.getChangeToken(), afterKey, 'a stored revocation did not change the token');
    },
  },
  {
    name: 'a key revoked through another instance is refused after one change check, and protects no more',
    async run(storage) {
      const instance = async () =>
        createDataProtection({
          applicationName: 'conformance',
          repository: await storage.open(),
          keyRingChangeCheckInterval: false,
          logger: quietLogger,
        });
      const admin = await instance();
      const running = await instance();
      const payload = await admin.createProtector('p').protect('hello');
      assert.equal(await running.createProtector('p').unprotect(payload), 'hello');
      assert.equal(
        await running.checkForKeyRingChanges(),
        false,
        'nothing changed, yet the ring was re-read',
      );
      const revoked = payloadKeyId(payload);
      await admin.keyManager.revokeKey(revoked, 'conformance');
      assert.equal(await running.checkForKeyRingChanges(), true, 'the revocation was not noticed');
      await assert.rejects(running.createProtector('p').unprotect(payload), KeyRevokedError);
      const fresh = await running.createProtector('p').protect('again');
      assert.notEqual(payloadKeyId(fresh), revoked, 'the revoked key still protects new payloads');
      assert.equal(await admin.createProtector('p').unprotect(fresh), 'again');
    },
  },
  {
    name: 'where the repository pushes changes (watch), a revocation reaches a running instance without its periodic check',
    async run(storage) {
      if (!(await storage.open()).watch) return;
      const instance = async () =>
        createDataProtection({
          applicationName: 'conformance',
          repository: await storage.open(),
          // The periodic check would come only after the test: what arrives, the push brought.
          keyRingChangeCheckInterval: '1h',
          logger: quietLogger,
        });
      const admin = await instance();
      const running = await instance();
      const payload = await admin.createProtector('p').protect('hello');
      assert.equal(await running.createProtector('p').unprotect(payload), 'hello');
      // The subscription is made with the first load; give it a moment to be in place on the server.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await admin.keyManager.revokeKey(payloadKeyId(payload), 'conformance');
      const deadline = Date.now() + 10_000;
      let refused = false;
      while (!refused && Date.now() < deadline) {
        refused = await running
          .createProtector('p')
          .unprotect(payload)
          .then(
            () => false,
            (error: unknown) => error instanceof KeyRevokedError,
          );
        if (!refused) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(refused, 'the running instance did not hear of the revocation');
      const fresh = await running.createProtector('p').protect('after');
      assert.notEqual(payloadKeyId(fresh), payloadKeyId(payload), 'the revoked key still protects');
    },
  },
  {
    name: 'an element the ring cannot read never stops it, is reported, and is removed alone where deletion is supported',
    async run(storage) {
      if (!storage.storeDamaged) return;
      const instance = async () =>
        createDataProtection({
          applicationName: 'conformance',
          repository: await storage.open(),
          keyRingChangeCheckInterval: false,
          logger: quietLogger,
        });
      const admin = await instance();
      const payload = await admin.createProtector('p').protect('hello');
      await storage.storeDamaged(
        storage.damagedElementsAreWellFormed ? UNREADABLE_REVOCATION : NOT_WELL_FORMED,
      );

      const running = await instance();
      assert.equal(await running.createProtector('p').unprotect(payload), 'hello');
      const { invalidElements } = await running.keyManager.readKeyRing();
      assert.equal(invalidElements.length, 1, 'the damaged element was not reported');
      assert.equal(invalidElements[0]!.treatedAs, 'possible revocation');
      // It may have revoked the key stored before it: a key stored after it protects.
      const fresh = await running.createProtector('p').protect('after');
      assert.notEqual(payloadKeyId(fresh), payloadKeyId(payload), 'a key stored before it still protects');
      assert.equal(await admin.createProtector('p').unprotect(fresh), 'after');

      await admin.keyManager.revokeKey(payloadKeyId(payload), 'conformance');
      assert.equal(await running.checkForKeyRingChanges(), true, 'the revocation was not noticed');
      await assert.rejects(running.createProtector('p').unprotect(payload), KeyRevokedError);

      if (!(await storage.open()).deleteElements) return;
      const elementsBefore = (await running.keyManager.readKeyRing()).keys.length;
      assert.equal(await running.keyManager.deleteInvalidElements(), 1);
      const after = await running.keyManager.readKeyRing();
      assert.deepEqual(after.invalidElements, []);
      assert.equal(after.keys.length, elementsBefore, 'deleting the damaged element removed a key');
    },
  },
];

/** Runs one case on fresh storage, always cleaning up. */
export async function runRepositoryCase(
  testCase: RepositoryCase,
  options: RepositoryConformanceOptions,
): Promise<void> {
  const storage = await options.createStorage();
  try {
    await testCase.run(storage);
  } finally {
    await storage.cleanup?.();
  }
}

/** Registers the XmlRepository conformance suite with jest (or vitest with globals). */
export function describeXmlRepositoryConformance(name: string, options: RepositoryConformanceOptions): void {
  const { describe, test } = globalThis as unknown as {
    describe?: (name: string, body: () => void) => void;
    test?: (name: string, body: () => Promise<void>, timeout?: number) => void;
  };
  if (typeof describe !== 'function' || typeof test !== 'function') {
    throw new Error('describeXmlRepositoryConformance needs the describe/test globals of jest or vitest.');
  }
  describe(`${name} conforms to XmlRepository`, () => {
    for (const testCase of repositoryCases)
      test(testCase.name, () => runRepositoryCase(testCase, options), 30_000);
  });
}
