import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataProtection, FileSystemXmlRepository } from '@sharedstate/dataprotection-core';
import { recordingLogger } from '@sharedstate/testing';
import { aspNetCoreKeyFile, VECTOR_KEY_ID } from './fixtures.ts';

describe('FileSystemXmlRepository (§3.1)', () => {
  let directory: string;
  beforeEach(() => {
    directory = join(mkdtempSync(join(tmpdir(), 'dp-files-')), 'keys');
  });
  afterEach(() => rmSync(join(directory, '..'), { recursive: true, force: true }));

  test('writes key-{id}.xml with BOM, declaration and indentation, readable only by the owner', async () => {
    const provider = createDataProtection({
      applicationName: 'app',
      repository: new FileSystemXmlRepository({ directory }),
    });
    await provider.initialize();
    const [key] = await provider.keyManager.getAllKeys();
    const files = readdirSync(directory);
    expect(files).toEqual([`key-${key!.id}.xml`]);
    const path = join(directory, files[0]!);
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 3).toString('hex')).toBe('efbbbf');
    const text = bytes.subarray(3).toString('utf8');
    expect(text.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<key id=')).toBe(true);
    expect(text).toContain('\n  <creationDate>');
    expect(text).toContain(
      '\n      <masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/dataProtection">',
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test('writes a key file byte for byte as ASP.NET Core on Linux writes it (FORMATS.md §2.1)', async () => {
    // The file ASP.NET Core's FileSystemXmlRepository writes through XElement.Save: BOM, declaration, two-space
    // indentation, "\n" line ends, empty elements as `<name />`, no newline after the root's end tag.
    const written = aspNetCoreKeyFile({
      creation: '2030-01-01T00:00:00.1234567Z',
      activation: '2030-01-01T00:00:00.12Z',
      expiration: '2030-04-01T00:00:00Z',
    });
    const source = new FileSystemXmlRepository({ directory: join(directory, '..') });
    writeFileSync(join(directory, '..', `key-${VECTOR_KEY_ID}.xml`), written);
    const [element] = await source.getAllElements();
    // What Redis and the EF table hold for the same key: ToString(SaveOptions.DisableFormatting).
    expect(element).toContain(
      '<descriptor><encryption algorithm="AES_256_CBC" /><validation algorithm="HMACSHA256" />',
    );
    const copy = new FileSystemXmlRepository({ directory });
    await copy.storeElement(element!, `key-${VECTOR_KEY_ID}`);
    expect(
      readFileSync(join(directory, `key-${VECTOR_KEY_ID}.xml`)).equals(Buffer.from(written, 'utf8')),
    ).toBe(true);
  });

  test('reads a directory ASP.NET Core wrote', async () => {
    const repository = new FileSystemXmlRepository({ directory: join(directory, '..') });
    writeFileSync(join(directory, '..', `key-${VECTOR_KEY_ID}.xml`), aspNetCoreKeyFile({ newline: '\r\n' }));
    writeFileSync(join(directory, '..', 'notes.txt'), 'not a key');
    const [element] = await repository.getAllElements();
    expect(element).toContain(`<key id="${VECTOR_KEY_ID}" version="1"><creationDate>`);
  });

  test('an unreadable file is named in the error, never stops the ring, and is removed by deleteInvalidElements', async () => {
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void errors.push(m) };
    const make = () =>
      createDataProtection({
        applicationName: 'app',
        repository: new FileSystemXmlRepository({ directory }),
        keyRingChangeCheckInterval: false,
        logger,
      });
    const first = make();
    const payload = await first.createProtector('p').protect('kept');
    // Stored after the key (a later modification time), as a damaged copy would be, and before now.
    const [keyFile] = readdirSync(directory);
    utimesSync(join(directory, keyFile!), new Date(Date.now() - 2_000), new Date(Date.now() - 2_000));
    const bad = join(directory, 'revocation-x.xml');
    writeFileSync(bad, '<!DOCTYPE r [<!ENTITY e "e">]><revocation version="1"><revocationDate>&e;');
    utimesSync(bad, new Date(Date.now() - 1_000), new Date(Date.now() - 1_000));

    const fresh = make();
    expect(await fresh.createProtector('p').unprotect(payload)).toBe('kept');
    const { keys, invalidElements } = await fresh.keyManager.readKeyRing();
    expect(invalidElements).toMatchObject([
      { location: "file 'revocation-x.xml'", treatedAs: 'possible revocation' },
    ]);
    // The key from before it no longer protects; the one this instance created after it does.
    expect(keys.map((key) => key.mayBeRevoked)).toEqual([true, false]);
    expect(errors.join('\n')).toContain("file 'revocation-x.xml'");

    expect(await fresh.keyManager.deleteInvalidElements()).toBe(1);
    expect(readdirSync(directory).filter((name) => name.startsWith('revocation'))).toEqual([]);
    expect((await fresh.keyManager.readKeyRing()).invalidElements).toEqual([]);
  });

  test('a key folder other users can write to or read gets one warning that says how to fix it', async () => {
    const { logger, warnings } = recordingLogger();
    mkdirSync(directory, { recursive: true });
    chmodSync(directory, 0o777);
    const repository = new FileSystemXmlRepository({ directory, logger });
    await repository.getAllElements();
    await repository.storeElement('<key/>', 'key-1');
    await repository.getChangeToken();
    expect(warnings).toEqual([
      expect.stringMatching(/mode 0777: every user of this machine can read and write to it.*chmod 700/),
    ]);
    chmodSync(directory, 0o700);
    await new FileSystemXmlRepository({ directory, logger }).getAllElements();
    expect(warnings).toHaveLength(1);
  });

  test('a missing directory reads as an empty ring and is created on first write', async () => {
    const repository = new FileSystemXmlRepository({ directory });
    expect(await repository.getAllElements()).toEqual([]);
    await repository.storeElement('<key/>', 'key-1');
    expect(statSync(directory).mode & 0o777).toBe(0o700);
  });

  test('a directory option that is missing fails at construction', () => {
    expect(() => new FileSystemXmlRepository({ directory: ' ' })).toThrow(/directory/);
  });

  test('an option under another name fails at construction, naming the right one', () => {
    expect(() => new FileSystemXmlRepository({ path: './keys' } as never)).toThrow(
      "Unknown FileSystemXmlRepository option 'path': the options are directory, logger.",
    );
  });
});
