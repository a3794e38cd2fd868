// Building blocks exported for this package's own tests and benchmarks; not part of the public API.
export { buildAad, buildAadTemplate } from './additional-authenticated-data.ts';
export { cipherParameters, hashParameters } from './algorithms.ts';
export {
  CbcHmacAuthenticatedEncryptor,
  createAuthenticatedEncryptor,
  GcmAuthenticatedEncryptor,
  type RandomSource,
} from './authenticated-encryptor.ts';
export {
  DEFAULT_DESERIALIZER,
  descriptorFromXml,
  descriptorToXml,
} from './authenticated-encryptor-descriptor.ts';
export { cbcContextHeader, gcmContextHeader } from './context-header.ts';
export { resolveDefaultKey } from './default-key-resolver.ts';
export { bytesToGuid, guidToBytes } from './guid-bytes.ts';
export { keyFromXml, keyToXml, revocationFromXml, revocationToXml } from './key-xml.ts';
export { deriveKey } from './sp800-108.ts';
export { dateToTicks, ticksToDate } from './time-limited-data-protector.ts';
export { formatCompactUtc, formatXmlDate, parseXmlDate } from './xml-date.ts';
