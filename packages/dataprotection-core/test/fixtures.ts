import {
  type Clock,
  createDataProtection,
  type DataProtectionOptions,
  type XmlRepository,
} from '@sharedstate/dataprotection-core';

/** The master key and key id of FORMATS §8.8. */
export const VECTOR_MASTER_KEY =
  'k88VrwGLINfVAqzlAp7U4EAjdlmUG17c756McQGdjHU8Ajkfc/A3YOKdqlMcF6dXaIxATED+g2f62wkRRRRRzA==';
export const VECTOR_KEY_ID = '3d6d01fd-c0e7-44ae-82dd-013b996b4093';

/** A clock tests move by hand. */
export class TestClock implements Clock {
  current: number;
  constructor(start = Date.UTC(2030, 1, 1)) {
    this.current = start;
  }
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export const DAY = 24 * 60 * 60 * 1000;

/** ASP.NET Core's SequentialGenRandom: 00, 01, 02, ... continuing across calls. */
export function sequentialRandom(): (length: number) => Uint8Array {
  let next = 0;
  return (length) => Uint8Array.from({ length }, () => next++ & 0xff);
}

/**
 * A key file as ASP.NET Core 8 writes it with PersistKeysToFileSystem: BOM, declaration, two-space indent,
 * the p4 prefix, Version=8.0.0.0 in the deserializer type. `newline` lets a test use Windows line ends.
 */
export function aspNetCoreKeyFile(options: {
  id?: string;
  masterKey?: string;
  encryption?: string;
  validation?: string | undefined;
  creation?: string;
  activation?: string;
  expiration?: string;
  newline?: string;
}): string {
  const {
    id = VECTOR_KEY_ID,
    masterKey = VECTOR_MASTER_KEY,
    encryption = 'AES_256_CBC',
    validation = 'HMACSHA256',
    creation = '2030-01-01T00:00:00.1234567Z',
    activation = '2030-01-01T00:00:00.1200000Z',
    expiration = '2030-04-01T00:00:00.12Z',
    newline = '\n',
  } = options;
  const validationLine =
    validation === undefined
      ? '      <!-- AES-GCM includes a 128-bit authentication tag, no extra validation algorithm required. -->'
      : `      <validation algorithm="${validation}" />`;
  return `\ufeff${[
    '<?xml version="1.0" encoding="utf-8"?>',
    `<key id="${id}" version="1">`,
    `  <creationDate>${creation}</creationDate>`,
    `  <activationDate>${activation}</activationDate>`,
    `  <expirationDate>${expiration}</expirationDate>`,
    '  <descriptor deserializerType="Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel.AuthenticatedEncryptorDescriptorDeserializer, Microsoft.AspNetCore.DataProtection, Version=8.0.0.0, Culture=neutral, PublicKeyToken=adb9793829ddae60">',
    '    <descriptor>',
    `      <encryption algorithm="${encryption}" />`,
    validationLine,
    '      <masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/dataProtection">',
    '        <!-- Warning: the key below is in an unencrypted form. -->',
    `        <value>${masterKey}</value>`,
    '      </masterKey>',
    '    </descriptor>',
    '  </descriptor>',
    '</key>',
  ].join(newline)}`;
}

/** A provider with no application name over a repository, with the given clock and randomness. */
export function providerFor(repository: XmlRepository, overrides: Partial<DataProtectionOptions> = {}) {
  return createDataProtection({ applicationName: null, repository, clock: new TestClock(), ...overrides });
}

/**
 * Wraps a real repository to count reads and to simulate an outage on demand (the storage behind it stays
 * real: an EphemeralXmlRepository or a directory).
 */
export class ObservedRepository implements XmlRepository {
  reads = 0;
  writes = 0;
  checks = 0;
  failing: Error | undefined;
  readonly inner: XmlRepository;
  constructor(inner: XmlRepository) {
    this.inner = inner;
  }
  get description() {
    return `observed ${this.inner.description}`;
  }
  async getAllElements() {
    this.reads++;
    if (this.failing) throw this.failing;
    return this.inner.getAllElements();
  }
  async getChangeToken() {
    this.checks++;
    if (this.failing) throw this.failing;
    return this.inner.getChangeToken!();
  }
  async storeElement(element: string, friendlyName: string) {
    this.writes++;
    if (this.failing) throw this.failing;
    return this.inner.storeElement(element, friendlyName);
  }
}
