// FORMATS §8.8: payloads an ASP.NET Core app produces with a known key, reproduced byte for byte, and
// read back from a key file laid out exactly as ASP.NET Core writes it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EphemeralXmlRepository,
  FileSystemXmlRepository,
  keyRingElementsFromXml,
} from '@sharedstate/dataprotection-core';
import { aspNetCoreKeyFile, providerFor, sequentialRandom, TestClock } from './fixtures.ts';

const V1_PLAINTEXT = '382c74c3-721d-4f34-80e5-57657b6cbc27';
const V1 =
  '09f0c9f0fd016d3de7c0ae4482dd013b996b4093000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f1e80c78b37635a0c076d83d0709d6e188aa500ac018eb7e12476eeda15e8aeb72968b2516a82bbad8261bc5d16f570e723e34958e307c08df4355e166c4981d823bdafa8c1ee963ac741ffd9e7df1cfa';
const V3 =
  'CfDJ8P0BbT3nwK5Egt0BO5lrQJMAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH5bFEUC0BbUlF5AJn55cY44OqxPG23VDm9JTDiPyNXXjea7OmYYtgX3xNx9W0th9zg';
const V4 =
  'CfDJ8P0BbT3nwK5Egt0BO5lrQJMAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH_P-ett2ieMBUppQSdOwaXUNSD4JmjzSP6YE1xqVAjsr9TDldoM4zCjHE_8dSU__fA';
const V6 =
  '09f0c9f0fd016d3de7c0ae4482dd013b996b4093000102030405060708090a0b0c0d0e0f101112131415161718191a1bf9897f46258cce78bd01179f75e647cd519ba04a3d01e47e40772d434e7669fc74ce8d85edf3985f9a4fda9338b29c9da4b7d114';

describe('payloads match ASP.NET Core byte for byte', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'dp-vectors-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  function providerWithKeyFile(file: string) {
    writeFileSync(join(directory, 'key-3d6d01fd-c0e7-44ae-82dd-013b996b4093.xml'), file);
    return providerFor(new FileSystemXmlRepository({ directory }), {
      random: sequentialRandom(),
      clock: new TestClock(),
      autoGenerateKeys: false,
    });
  }

  test('V1: AES-256-CBC/HMACSHA256, purpose SessionMiddleware, a session key', async () => {
    const protector = providerWithKeyFile(aspNetCoreKeyFile({})).createProtector('SessionMiddleware');
    const payload = await protector.protect(Buffer.from(V1_PLAINTEXT));
    expect(Buffer.from(payload).toString('hex')).toBe(V1);
    expect(payload.length).toBe(132);
    expect(Buffer.from(await protector.unprotect(Buffer.from(V1, 'hex'))).toString()).toBe(V1_PLAINTEXT);
  });

  test('V3: a two-purpose chain with the string API (base64url, no padding)', async () => {
    const protector = providerWithKeyFile(aspNetCoreKeyFile({})).createProtector('MyPurpose', 'SubPurpose');
    expect(await protector.protect('Hello, World!')).toBe(V3);
    expect(await protector.unprotect(V3)).toBe('Hello, World!');
  });

  test('V4: an empty plaintext', async () => {
    const protector = providerWithKeyFile(aspNetCoreKeyFile({})).createProtector('p');
    expect(await protector.protect('')).toBe(V4);
    expect(await protector.unprotect(V4)).toBe('');
  });

  test('V6: AES-256-GCM', async () => {
    const provider = providerWithKeyFile(
      aspNetCoreKeyFile({ encryption: 'AES_256_GCM', validation: undefined }),
    );
    const protector = provider.createProtector('SessionMiddleware');
    expect(Buffer.from(await protector.protect(Buffer.from(V1_PLAINTEXT))).toString('hex')).toBe(V6);
    expect(Buffer.from(await protector.unprotect(Buffer.from(V6, 'hex'))).toString()).toBe(V1_PLAINTEXT);
  });

  test('a key file with Windows line ends is read the same', async () => {
    const protector = providerWithKeyFile(aspNetCoreKeyFile({ newline: '\r\n' })).createProtector(
      'SessionMiddleware',
    );
    expect(Buffer.from(await protector.unprotect(Buffer.from(V1, 'hex'))).toString()).toBe(V1_PLAINTEXT);
  });

  test('the application name is the first purpose, as ASP.NET Core prepends its discriminator', async () => {
    writeFileSync(join(directory, 'key.xml'), aspNetCoreKeyFile({}));
    const repository = new FileSystemXmlRepository({ directory });
    const named = providerFor(repository, { applicationName: 'shop', autoGenerateKeys: false });
    const unnamed = providerFor(repository, { autoGenerateKeys: false });
    const token = await named.createProtector('SessionMiddleware').protect('x');
    expect(await unnamed.createProtector('shop', 'SessionMiddleware').unprotect(token)).toBe('x');
    await expect(unnamed.createProtector('SessionMiddleware').unprotect(token)).rejects.toThrow(
      'The payload was invalid.',
    );
  });
});

describe('a key ring handed over as XML text, without files', () => {
  const keyFile = aspNetCoreKeyFile({});
  const otherKeyId = '00000000-0000-0000-0000-000000000042';
  const revocation = `<revocation version="1"><revocationDate>2030-01-02T00:00:00Z</revocationDate><key id="${otherKeyId}" /><reason>handed over revoked</reason></revocation>`;

  test('a key file read by EphemeralXmlRepository unprotects what ASP.NET Core protected with it', async () => {
    const protector = providerFor(new EphemeralXmlRepository({ xml: keyFile }), {
      autoGenerateKeys: false,
    }).createProtector('MyPurpose', 'SubPurpose');
    expect(await protector.unprotect(V3)).toBe('Hello, World!');
  });

  test('a document of elements (the Azure Blob layout) gives each element; a key file gives itself', () => {
    const document = `\ufeff<?xml version="1.0" encoding="utf-8"?><repository>${keyRingElementsFromXml(keyFile)[0]}${revocation}</repository>`;
    const elements = keyRingElementsFromXml(document);
    expect(elements).toHaveLength(2);
    expect(elements[0]).toMatch(/^<key id="3d6d01fd-c0e7-44ae-82dd-013b996b4093" version="1"><creationDate>/);
    expect(elements[1]).toBe(revocation);
    expect(keyRingElementsFromXml('')).toEqual([]);
  });

  test('text that is not XML, or a wrong option, fails at construction with what to fix', () => {
    expect(() => new EphemeralXmlRepository({ xml: ['<key id="x"'] })).toThrow(/xml\[0\].*not well-formed/);
    expect(() => new EphemeralXmlRepository({ xml: 42 } as never)).toThrow(/XML text or an array/);
    expect(() => new EphemeralXmlRepository({ elements: [] } as never)).toThrow(/elements/);
  });
});
