// Building blocks of this package that its tests exercise directly; not part of the public API.

export { bytesToGuid, guidToBytes } from '@sharedstate/shared-helpers';
export { cipherParameters, hashParameters } from '../src/algorithms.ts';
export {
  CbcHmacAuthenticatedEncryptor,
  createAuthenticatedEncryptor,
  GcmAuthenticatedEncryptor,
  type RandomSource,
} from '../src/authenticated-encryptor.ts';
export {
  DEFAULT_DESERIALIZER,
  descriptorFromXml,
  descriptorToXml,
} from '../src/authenticated-encryptor-descriptor.ts';
export { cbcContextHeader, gcmContextHeader } from '../src/context-header.ts';
export { resolveDefaultKey } from '../src/default-key-resolver.ts';
export { keyFromXml, keyToXml, revocationFromXml, revocationToXml } from '../src/key-xml.ts';
export { buildAad, buildAadTemplate } from '../src/payload-format.ts';
export { deriveKey } from '../src/sp800-108.ts';
export { dateToTicks, ticksToDate } from '../src/time-limited-data-protector.ts';
export { formatCompactUtc, formatXmlDate, parseXmlDate } from '../src/xml-date.ts';
