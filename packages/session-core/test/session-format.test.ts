// FORMATS §6.3, §6.5, §8.8, §8.9: the blob and the cookie are ASP.NET Core's bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataProtection, FileSystemXmlRepository } from '@sharedstate/dataprotection-core';
import { SESSION_PURPOSE, unprotectSessionKey } from '../src/session-key-protection.ts';
import { deserializeSession, serializeSession } from '../src/session-serialization.ts';

const ID = Uint8Array.from({ length: 16 }, (_, i) => i);

describe('session blob, revision 2', () => {
  test('two entries serialize to the §8.9 vector', () => {
    const count = Buffer.alloc(4);
    count.writeInt32BE(42);
    const entries = new Map<string, Uint8Array>([
      ['name', Buffer.from('Alice')],
      ['count', count],
    ]);
    const blob = serializeSession({ id: ID, entries });
    expect(blob.toString('hex')).toBe(
      '02000002000102030405060708090a0b0c0d0e0f00046e616d6500000005416c6963650005636f756e74000000040000002a',
    );
    const read = deserializeSession(blob);
    expect(typeof read).toBe('object');
    if (typeof read === 'object') {
      expect(Buffer.from(read.entries.get('name')!).toString()).toBe('Alice');
      expect(Buffer.from(read.id)).toEqual(Buffer.from(ID));
    }
  });

  test('an empty session is 20 bytes', () => {
    expect(serializeSession({ id: ID, entries: new Map() }).toString('hex')).toBe(
      '02000000000102030405060708090a0b0c0d0e0f',
    );
  });

  test('unknown revisions and truncated blobs are reported, never over-read', () => {
    expect(deserializeSession(new Uint8Array(0))).toBe('empty');
    expect(deserializeSession(Uint8Array.of(1, 0, 0, 0))).toBe('unknown-revision');
    const blob = serializeSession({ id: ID, entries: new Map([['k', Buffer.from('value')]]) });
    for (let length = 1; length < blob.length; length++)
      expect(deserializeSession(blob.subarray(0, length))).toBe('truncated');
    const lying = Buffer.from(blob);
    lying.writeUInt32BE(0x7fff_fff0, 20 + 2 + 1);
    expect(deserializeSession(lying)).toBe('truncated');
    // A length with the top bit set is huge, not negative.
    lying.writeUInt32BE(0xffff_fffb, 20 + 2 + 1);
    expect(deserializeSession(lying)).toBe('truncated');
  });

  test('keys of every kind read back as written, from a Buffer or a plain Uint8Array', () => {
    const keys = [
      'k',
      'x'.repeat(32),
      'y'.repeat(33),
      'Grüße',
      `${'a'.repeat(31)}é`,
      '東京 🎉',
      '\uFEFFbom',
      'k'.repeat(0xffff),
    ];
    const entries = new Map(keys.map((key, i) => [key, Uint8Array.of(i)]));
    const blob = serializeSession({ id: ID, entries });
    // Offset inside a larger buffer, as a cache reply slice can be.
    const inside = new Uint8Array(blob.length + 7);
    inside.set(blob, 7);
    for (const source of [blob, new Uint8Array(blob), inside.subarray(7)]) {
      const read = deserializeSession(source);
      if (typeof read === 'string') throw new Error(read);
      expect([...read.entries.keys()]).toEqual(keys);
      expect([...read.entries.values()].map((value) => value[0])).toEqual(keys.map((_, i) => i));
    }
  });

  test('a key with invalid UTF-8 reads as ASP.NET Core reads it (U+FFFD)', () => {
    // One entry whose key bytes are 'A', 0xff, 'B', 0xc3 (a lone lead byte at the end).
    const blob = Buffer.concat([
      Buffer.from([2, 0, 0, 1]),
      ID,
      Buffer.from([0, 4, 0x41, 0xff, 0x42, 0xc3, 0, 0, 0, 1, 9]),
    ]);
    const read = deserializeSession(blob);
    if (typeof read === 'string') throw new Error(read);
    expect([...read.entries.keys()]).toEqual(['A\uFFFDB\uFFFD']);
  });
});

describe('session cookie (§6.3)', () => {
  test('a cookie ASP.NET Core wrote (standard base64, = trimmed) yields its session key', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'session-cookie-'));
    try {
      // The FORMATS §8.8 key, in an ASP.NET Core key file; V1 is that key protecting a session key.
      writeFileSync(
        join(directory, 'key.xml'),
        '<key id="3d6d01fd-c0e7-44ae-82dd-013b996b4093" version="1"><creationDate>2030-01-01T00:00:00Z</creationDate><activationDate>2030-01-01T00:00:00Z</activationDate><expirationDate>2030-04-01T00:00:00Z</expirationDate><descriptor deserializerType="Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel.AuthenticatedEncryptorDescriptorDeserializer, Microsoft.AspNetCore.DataProtection, Version=8.0.0.0, Culture=neutral, PublicKeyToken=adb9793829ddae60"><descriptor><encryption algorithm="AES_256_CBC" /><validation algorithm="HMACSHA256" /><masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/dataProtection"><value>k88VrwGLINfVAqzlAp7U4EAjdlmUG17c756McQGdjHU8Ajkfc/A3YOKdqlMcF6dXaIxATED+g2f62wkRRRRRzA==</value></masterKey></descriptor></descriptor></key>',
      );
      const dataProtection = createDataProtection({
        applicationName: null,
        repository: new FileSystemXmlRepository({ directory }),
        clock: { now: () => Date.UTC(2030, 1, 1) },
        autoGenerateKeys: false,
      });
      const v1 = Buffer.from(
        '09f0c9f0fd016d3de7c0ae4482dd013b996b4093000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f1e80c78b37635a0c076d83d0709d6e188aa500ac018eb7e12476eeda15e8aeb72968b2516a82bbad8261bc5d16f570e723e34958e307c08df4355e166c4981d823bdafa8c1ee963ac741ffd9e7df1cfa',
        'hex',
      );
      const cookieValue = v1.toString('base64').replace(/=+$/, '');
      const protector = dataProtection.createProtector(SESSION_PURPOSE);
      expect(await unprotectSessionKey(protector, cookieValue)).toBe('382c74c3-721d-4f34-80e5-57657b6cbc27');
      // As a browser sends it back: '+' and '/' percent-encoded by the Set-Cookie writer.
      expect(await unprotectSessionKey(protector, encodeURIComponent(cookieValue))).toBe(
        '382c74c3-721d-4f34-80e5-57657b6cbc27',
      );
      expect(await unprotectSessionKey(protector, `${cookieValue.slice(0, 20)}%E0%A4%A`)).toBeUndefined();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
