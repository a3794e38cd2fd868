export type { AlgorithmConfiguration, EncryptionAlgorithm, ValidationAlgorithm } from './algorithms.ts';
export type { RandomSource } from './authenticated-encryptor.ts';
export type { AuthenticatedEncryptorDescriptor } from './authenticated-encryptor-descriptor.ts';
export {
  type CertificateInput,
  type CertificateWithPrivateKey,
  CertificateXmlDecryptor,
  CertificateXmlEncryptor,
} from './certificate-xml-encryption.ts';
export { type Clock, systemClock } from './clock.ts';
export {
  createDataProtection,
  type DataProtectionOptions,
  type DataProtectionProvider,
} from './data-protection-provider.ts';
export type { DangerousUnprotectResult, DataProtector } from './data-protector.ts';
export { EphemeralXmlRepository, type EphemeralXmlRepositoryOptions } from './ephemeral-xml-repository.ts';
export {
  DataProtectionConfigurationError,
  DataProtectionError,
  KeyDecryptionError,
  KeyNotFoundError,
  KeyRevokedError,
  KeyRingError,
  PayloadError,
  PayloadExpiredError,
  PayloadInvalidError,
  PayloadNotProtectedError,
  PayloadVersionError,
  RepositoryUnavailableError,
  XmlKeyFormatError,
} from './errors.ts';
export {
  FileSystemXmlRepository,
  type FileSystemXmlRepositoryOptions,
} from './file-system-xml-repository.ts';
export { bytesToGuid, guidToBytes } from './guid-bytes.ts';
export type { Key } from './key.ts';
export type { KeyManager } from './key-manager.ts';
export { documentElements, keyRingElementsFromXml } from './key-ring-xml-text.ts';
export { type Logger, silentLogger } from './logger.ts';
export { type Duration, durationOption, refuseUnknownOptions } from './options-parsing.ts';
export {
  type Expiration,
  TIME_LIMITED_PURPOSE,
  type TimeLimitedDataProtector,
  type TimeLimitedUnprotectResult,
} from './time-limited-data-protector.ts';
export { DATA_PROTECTION_NS, parseXmlElement, serializeCompact, serializeIndented } from './xml-document.ts';
export {
  type EncryptedXml,
  NullXmlDecryptor,
  NullXmlEncryptor,
  type XmlDecryptor,
  type XmlEncryptor,
} from './xml-encryption.ts';
export type { XmlRepository } from './xml-repository.ts';
