import { EphemeralXmlRepository, parseXmlElement, serializeCompact } from '@sharedstate/dataprotection-core';
import {
  DEFAULT_DESERIALIZER,
  descriptorFromXml,
  descriptorToXml,
  formatCompactUtc,
  formatXmlDate,
  keyFromXml,
  keyToXml,
  parseXmlDate,
  revocationFromXml,
  revocationToXml,
} from './building-blocks.ts';
import { aspNetCoreKeyFile, providerFor, TestClock, VECTOR_KEY_ID, VECTOR_MASTER_KEY } from './fixtures.ts';

const ns = 'Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel.';
const masterKey = Buffer.from(VECTOR_MASTER_KEY, 'base64');
const withoutComments = (xml: string) => xml.replace(/<!--.*?-->/g, '');

describe('descriptor XML (§2.2, §8.7)', () => {
  test('AES_192_CBC + HMACSHA512 exports as ASP.NET Core does', () => {
    const xml = serializeCompact(
      descriptorToXml({ encryption: 'AES_192_CBC', validation: 'HMACSHA512', masterKey }),
    );
    expect(withoutComments(xml)).toBe(
      `<descriptor><encryption algorithm="AES_192_CBC" /><validation algorithm="HMACSHA512" /><masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/dataProtection"><value>${VECTOR_MASTER_KEY}</value></masterKey></descriptor>`,
    );
  });

  test('GCM descriptors carry a comment instead of a validation element', () => {
    const xml = serializeCompact(descriptorToXml({ encryption: 'AES_256_GCM', masterKey }));
    expect(xml).toContain(
      '<!-- AES-GCM includes a 128-bit authentication tag, no extra validation algorithm required. -->',
    );
    expect(xml).not.toContain('<validation');
  });

  test('a masterKey holding its base64 directly is read like one with a <value> child', () => {
    const element = parseXmlElement(
      `<descriptor><encryption algorithm='AES_256_CBC' /><validation algorithm='HMACSHA256' /><masterKey enc:requiresEncryption='true' xmlns:enc='http://schemas.asp.net/2015/03/dataProtection'>\n  ${VECTOR_MASTER_KEY}\n</masterKey></descriptor>`,
    );
    expect(Buffer.from(descriptorFromXml(DEFAULT_DESERIALIZER, element, 'test').masterKey)).toEqual(
      masterKey,
    );
  });

  test.each([
    [
      `${ns}AuthenticatedEncryptorDescriptorDeserializer, Microsoft.AspNetCore.DataProtection, Version=6.0.0.0, Culture=neutral, PublicKeyToken=adb9793829ddae60`,
      'AES_256_CBC',
    ],
    [
      'Microsoft.AspNet.DataProtection.AuthenticatedEncryption.ConfigurationModel.AuthenticatedEncryptorDescriptorDeserializer, Microsoft.AspNet.DataProtection, Version=1.0.0.0',
      'AES_256_CBC',
    ],
  ])('deserializer type %s is matched ignoring version and the old namespace', (type, encryption) => {
    const element = parseXmlElement(
      `<descriptor><encryption algorithm="${encryption}"/><validation algorithm="HMACSHA256"/><masterKey><value>${VECTOR_MASTER_KEY}</value></masterKey></descriptor>`,
    );
    expect(descriptorFromXml(type, element, 'test').encryption).toBe('AES_256_CBC');
  });

  test.each([
    [
      'ManagedAuthenticatedEncryptorDescriptorDeserializer',
      '<encryption algorithm="Aes" keyLength="192"/><validation algorithm="HMACSHA384"/>',
      'AES_192_CBC',
      'HMACSHA384',
    ],
    [
      'CngCbcAuthenticatedEncryptorDescriptorDeserializer',
      '<encryption algorithm="AES" keyLength="128"/><hash algorithm="SHA1"/>',
      'AES_128_CBC',
      'HMACSHA1',
    ],
    [
      'CngGcmAuthenticatedEncryptorDescriptorDeserializer',
      '<encryption algorithm="AES" keyLength="256"/>',
      'AES_256_GCM',
      undefined,
    ],
  ])('legacy descriptor %s is read', (name, body, encryption, validation) => {
    const element = parseXmlElement(
      `<descriptor>${body}<masterKey><value>${VECTOR_MASTER_KEY}</value></masterKey></descriptor>`,
    );
    const descriptor = descriptorFromXml(
      `${ns}${name}, Microsoft.AspNetCore.DataProtection, Version=8.0.0.0`,
      element,
      'test',
    );
    expect(descriptor.encryption).toBe(encryption);
    expect(descriptor.validation).toBe(validation);
  });
});

describe('key XML (§2.1)', () => {
  test('a new key is written with ASP.NET Core’s elements, attributes and order', () => {
    const xml = serializeCompact(
      keyToXml(
        {
          id: VECTOR_KEY_ID,
          creationDate: new Date('2030-01-01T00:00:00.123Z'),
          activationDate: new Date('2030-01-01T00:00:00Z'),
          expirationDate: new Date('2030-04-01T00:00:00.5Z'),
          descriptor: { encryption: 'AES_256_CBC', validation: 'HMACSHA256', masterKey },
        },
        undefined,
      ),
    );
    expect(xml).toBe(
      `<key id="${VECTOR_KEY_ID}" version="1"><creationDate>2030-01-01T00:00:00.123Z</creationDate><activationDate>2030-01-01T00:00:00Z</activationDate><expirationDate>2030-04-01T00:00:00.5Z</expirationDate><descriptor deserializerType="${DEFAULT_DESERIALIZER}"><descriptor><encryption algorithm="AES_256_CBC" /><validation algorithm="HMACSHA256" /><masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/dataProtection"><!-- Warning: the key below is in an unencrypted form. --><value>${VECTOR_MASTER_KEY}</value></masterKey></descriptor></descriptor></key>`,
    );
  });

  test('an ASP.NET Core key file is read, with seven-digit fractions', () => {
    const key = keyFromXml(parseXmlElement(aspNetCoreKeyFile({})));
    expect(key.id).toBe(VECTOR_KEY_ID);
    expect(key.creationDate.toISOString()).toBe('2030-01-01T00:00:00.123Z');
    expect(Buffer.from(key.readDescriptor([]).masterKey)).toEqual(masterKey);
  });

  test('dates: .NET formatting and any xs:dateTime offset', () => {
    expect(formatXmlDate(new Date('2015-03-19T23:32:02.390Z'))).toBe('2015-03-19T23:32:02.39Z');
    expect(formatXmlDate(new Date('2015-03-19T23:32:02Z'))).toBe('2015-03-19T23:32:02Z');
    expect(parseXmlDate('2015-03-01T19:13:19.7573854-08:00', 'd').toISOString()).toBe(
      '2015-03-02T03:13:19.757Z',
    );
    expect(() => parseXmlDate('yesterday', 'creationDate')).toThrow(/creationDate/);
  });
});

describe('revocations (§2.4)', () => {
  test('single and mass revocations round-trip, with the reason always written', () => {
    const single = revocationToXml({
      revocationDate: new Date('2014-01-01T00:00:00Z'),
      keyId: 'a11f35fc-1fed-4bd4-b727-056a63b70932',
      reason: "Here's some reason text.",
    });
    expect(serializeCompact(single)).toBe(
      '<revocation version="1"><revocationDate>2014-01-01T00:00:00Z</revocationDate><key id="a11f35fc-1fed-4bd4-b727-056a63b70932" /><reason>Here\'s some reason text.</reason></revocation>',
    );
    const mass = revocationFromXml(
      parseXmlElement(
        '<revocation version="1"><revocationDate>2015-03-01T19:13:19.7573854-08:00</revocationDate><!-- All keys created before the revocation date are revoked. --><key id="*" /><reason>r</reason></revocation>',
      ),
    );
    expect(mass.keyId).toBe('*');
    expect(serializeCompact(revocationToXml({ ...mass, reason: undefined }))).toContain('<reason />');
  });

  test('the mass revocation friendly name uses the compact UTC timestamp', () => {
    expect(formatCompactUtc(new Date('2015-03-01T19:13:19.757-08:00'))).toBe('20150302T031319757Z');
    expect(formatCompactUtc(new Date('2030-01-01T00:00:00Z'))).toBe('20300101T000000Z');
  });

  test('GetAllKeys_UnderstandsRevocations: mass revocations revoke keys created strictly before them', async () => {
    const repository = new EphemeralXmlRepository();
    const ids = ['2015', '2016', '2017', '2018'].map((year) => `${year}0000-0000-0000-0000-000000000000`);
    for (const [i, year] of ['2015', '2016', '2017', '2018'].entries()) {
      await repository.storeElement(
        aspNetCoreKeyFile({
          id: ids[i]!,
          creation: `${year}-01-01T00:00:00Z`,
          activation: `${year}-01-01T00:00:00Z`,
          expiration: `${year}-06-01T00:00:00Z`,
        }),
        'k',
      );
    }
    const revoke = (date: string, id: string) =>
      serializeCompact(revocationToXml({ revocationDate: new Date(date), keyId: id, reason: undefined }));
    await repository.storeElement(revoke('2014-01-01T00:00:00Z', '*'), 'r');
    await repository.storeElement(revoke('2017-01-01T00:00:00Z', '*'), 'r');
    await repository.storeElement(revoke('2020-01-01T00:00:00Z', ids[3]!), 'r');
    const keys = await providerFor(repository).keyManager.getAllKeys();
    const revoked = Object.fromEntries(keys.map((key) => [key.id, key.isRevoked]));
    expect(revoked).toEqual({ [ids[0]!]: true, [ids[1]!]: true, [ids[2]!]: false, [ids[3]!]: true });
  });
});

describe('malformed repository content (§2.1)', () => {
  test('an unreadable key is skipped and reported, and unknown elements are ignored', async () => {
    const repository = new EphemeralXmlRepository();
    await repository.storeElement(aspNetCoreKeyFile({}), 'good');
    await repository.storeElement('<key id="not-a-guid" version="1"/>', 'bad');
    await repository.storeElement('<somethingElse/>', 'other');
    const { keys, invalidElements } = await providerFor(repository).keyManager.readKeyRing();
    expect(keys.map((k) => k.id)).toEqual([VECTOR_KEY_ID]);
    expect(invalidElements).toMatchObject([
      { location: 'element #2', treatedAs: 'unusable key', reason: expect.stringMatching(/not-a-guid/) },
    ]);
  });

  test('a second copy of a key id is reported and skipped; the first copy is the key', async () => {
    const repository = new EphemeralXmlRepository();
    await repository.storeElement(aspNetCoreKeyFile({}), 'a');
    await repository.storeElement(
      aspNetCoreKeyFile({ masterKey: Buffer.alloc(64, 7).toString('base64') }),
      'b',
    );
    const { keys, invalidElements } = await providerFor(repository).keyManager.readKeyRing();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.descriptor.masterKey).toEqual(Buffer.from(VECTOR_MASTER_KEY, 'base64'));
    expect(invalidElements).toMatchObject([{ location: 'element #2', keyId: VECTOR_KEY_ID }]);
  });

  test('a revocation of all keys whose date cannot be read stops every key stored before it from protecting', async () => {
    const repository = new EphemeralXmlRepository();
    await repository.storeElement(aspNetCoreKeyFile({}), 'k');
    await repository.storeElement(
      '<revocation version="1"><revocationDate>soon</revocationDate><key id="*"/></revocation>',
      'r',
    );
    const { keys, invalidElements } = await providerFor(repository).keyManager.readKeyRing();
    expect(invalidElements).toMatchObject([
      { treatedAs: 'possible revocation', reason: expect.stringMatching(/revocationDate/) },
    ]);
    expect(keys.map((key) => [key.isRevoked, key.mayBeRevoked])).toEqual([[false, true]]);
  });

  test('XML with a DTD is refused', () => {
    expect(() => parseXmlElement('<!DOCTYPE k [<!ENTITY x "y">]><key>&x;</key>')).toThrow(/DTD/);
  });

  test('text that is not XML is refused with a typed error', () => {
    expect(() => parseXmlElement('<key><unclosed></key>')).toThrow(/not well-formed/);
  });
});

test('TestClock is used for new key dates', async () => {
  const clock = new TestClock(Date.UTC(2031, 5, 1));
  const provider = providerFor(new EphemeralXmlRepository(), { clock });
  await provider.initialize();
  const [key] = await provider.keyManager.getAllKeys();
  expect(key?.creationDate.toISOString()).toBe('2031-06-01T00:00:00.000Z');
  expect(key?.expirationDate.toISOString()).toBe('2031-08-30T00:00:00.000Z');
});
