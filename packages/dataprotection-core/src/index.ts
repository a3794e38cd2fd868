// What a consumer of protection uses is defined by @sharedstate/dataprotection-abstractions; it is re-exported
// here so an app that configures data protection imports from one package.
export * from '@sharedstate/dataprotection-abstractions';
export {
  bytesToGuid,
  type Clock,
  guidToBytes,
  type Logger,
} from '@sharedstate/shared-helpers';
export type { AlgorithmConfiguration, EncryptionAlgorithm, ValidationAlgorithm } from './algorithms.ts';
export type { RandomSource } from './authenticated-encryptor.ts';
export type { AuthenticatedEncryptorDescriptor } from './authenticated-encryptor-descriptor.ts';
export {
  type CertificateInput,
  type CertificateWithPrivateKey,
  CertificateXmlDecryptor,
  CertificateXmlEncryptor,
} from './certificate-xml-encryption.ts';
export {
  createDataProtection,
  type DataProtectionOptions,
  type DataProtectionProvider,
  MIN_KEY_LIFETIME_MS,
} from './data-protection-provider.ts';
export { EphemeralXmlRepository, type EphemeralXmlRepositoryOptions } from './ephemeral-xml-repository.ts';
export { DataProtectionConfigurationError, XmlKeyFormatError } from './errors.ts';
export {
  FileSystemXmlRepository,
  type FileSystemXmlRepositoryOptions,
} from './file-system-xml-repository.ts';
export type { Key } from './key.ts';
export type { KeyManager } from './key-manager.ts';
export type {
  InvalidElementTreatment,
  InvalidKeyRingElement,
  KeyRingContents,
} from './key-ring-contents.ts';
export {
  documentElements,
  keyRingElementsFromXml,
  parseXmlElement,
  serializeCompact,
} from './xml-document.ts';
export {
  type EncryptedXml,
  NullXmlDecryptor,
  NullXmlEncryptor,
  type XmlDecryptor,
  type XmlEncryptor,
} from './xml-encryption.ts';
export type { StoredXmlElement, XmlRepository } from './xml-repository.ts';
