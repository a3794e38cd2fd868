// Master keys encrypted at rest with X.509 certificates generated here by the openssl command line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CertificateWithPrivateKey,
  createDataProtection,
  DataProtectionConfigurationError,
  EphemeralXmlRepository,
  KeyDecryptionError,
  KeyRingError,
} from '@sharedstate/dataprotection-core';
import { selfSignedCertificate } from '@sharedstate/testing';
import { aspNetCoreKeyFile } from './fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'dp-certs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function makeCertificate(name: string): CertificateWithPrivateKey {
  const { certificateFile, keyFile } = selfSignedCertificate(work, name);
  return { certificate: readFileSync(certificateFile), privateKey: readFileSync(keyFile) };
}

const first = makeCertificate('key-ring-2030');
const second = makeCertificate('key-ring-2031');

describe('keys protected with a certificate', () => {
  test('the stored key holds an encryptedSecret, not the master key', async () => {
    const repository = new EphemeralXmlRepository();
    const provider = createDataProtection({
      applicationName: 'app',
      repository,
      protectKeysWithCertificate: first,
    });
    const token = await provider.createProtector('p').protect('hello');
    const [stored] = await repository.getAllElements();
    expect(stored).toContain('<encryptedSecret');
    expect(stored).toContain(
      'decryptorType="Microsoft.AspNetCore.DataProtection.XmlEncryption.EncryptedXmlDecryptor, Microsoft.AspNetCore.DataProtection',
    );
    expect(stored).toContain('Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"');
    expect(stored).toContain('Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-1_5"');
    expect(stored).not.toContain('<value>');
    expect(await provider.createProtector('p').unprotect(token)).toBe('hello');
  });

  test('another instance decrypts with any of several certificates (certificate roll-over)', async () => {
    const repository = new EphemeralXmlRepository();
    const writer = createDataProtection({
      applicationName: 'app',
      repository,
      protectKeysWithCertificate: first,
    });
    const token = await writer.createProtector('p').protect('rolled');
    const reader = createDataProtection({
      applicationName: 'app',
      repository,
      protectKeysWithCertificate: second,
      unprotectKeysWithAnyCertificate: [first],
      autoGenerateKeys: false,
    });
    expect(await reader.createProtector('p').unprotect(token)).toBe('rolled');
  });

  test('an instance without the certificate gets a clear error naming the certificate', async () => {
    const repository = new EphemeralXmlRepository();
    const writer = createDataProtection({
      applicationName: 'app',
      repository,
      protectKeysWithCertificate: first,
    });
    const token = await writer.createProtector('p').protect('secret');
    const stranger = createDataProtection({
      applicationName: 'app',
      repository,
      unprotectKeysWithAnyCertificate: [second],
    });
    const failure = await stranger
      .createProtector('p')
      .unprotect(token)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KeyDecryptionError);
    expect(String((failure as Error).cause)).toMatch(
      /key-ring-2030.*not among unprotectKeysWithAnyCertificate/,
    );
  });

  test('an instance without an encryptor never adds an unencrypted key to a ring whose keys are encrypted, unless told to', async () => {
    const repository = new EphemeralXmlRepository();
    const writer = createDataProtection({
      applicationName: 'app',
      repository,
      protectKeysWithCertificate: first,
    });
    await writer.createProtector('p').protect('secret');
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void errors.push(m) };
    const forgetful = createDataProtection({ applicationName: 'app', repository, logger });
    // It cannot read the keys (no certificate), and must not make one of its own in clear.
    await expect(forgetful.createProtector('p').protect('x')).rejects.toThrow(KeyRingError);
    await expect(
      forgetful.keyManager.createKey(new Date(), new Date(Date.now() + 90 * 86_400_000)),
    ).rejects.toThrow(/encrypted at rest.*protectKeysWithCertificate.*allowUnencryptedKeys/s);
    expect(errors.join('\n')).toMatch(/encrypted at rest/);
    expect(await repository.getAllElements()).toHaveLength(1);

    const explicit = createDataProtection({ applicationName: 'app', repository, allowUnencryptedKeys: true });
    await explicit.createProtector('p').protect('y');
    const stored = await repository.getAllElements();
    expect(stored).toHaveLength(2);
    expect(stored[1]).toContain('<value>');
  });

  test('a private key that does not match its certificate is refused at startup', () => {
    expect(() =>
      createDataProtection({
        applicationName: 'app',
        repository: new EphemeralXmlRepository(),
        protectKeysWithCertificate: { certificate: first.certificate, privateKey: second.privateKey },
      }),
    ).toThrow(DataProtectionConfigurationError);
  });
});

test('a DPAPI-encrypted key from a Windows ASP.NET Core app fails with a message that says what to do', async () => {
  const file = aspNetCoreKeyFile({}).replace(
    /<masterKey[\s\S]*<\/masterKey>/,
    '<encryptedSecret decryptorType="Microsoft.AspNetCore.DataProtection.XmlEncryption.DpapiXmlDecryptor, Microsoft.AspNetCore.DataProtection, Version=8.0.0.0, Culture=neutral, PublicKeyToken=adb9793829ddae60" xmlns="http://schemas.asp.net/2015/03/dataProtection"><encryptedKey xmlns=""><!-- This key is encrypted with Windows DPAPI. --><value>AQAAANCMnd8BFdERjHoAwE</value></encryptedKey></encryptedSecret>',
  );
  const repository = new EphemeralXmlRepository();
  await repository.storeElement(file, 'key');
  const provider = createDataProtection({ applicationName: null, repository, autoGenerateKeys: false });
  const [key] = await provider.keyManager.getAllKeys();
  expect(() => key!.descriptor).toThrow(KeyDecryptionError);
  expect(() => key!.descriptor).toThrow(/Windows DPAPI.*ProtectKeysWithCertificate/);
});
