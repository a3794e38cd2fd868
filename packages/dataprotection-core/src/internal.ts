// Building blocks exported for this package's own tests and benchmarks; not part of the public API.
export { buildAad, buildAadTemplate } from './additional-authenticated-data.ts';
export { cipherParameters, hashParameters } from './algorithms.ts';
export {
  CbcHmacAuthenticatedEncryptor,
  createAuthenticatedEncryptor,
  GcmAuthenticatedEncryptor,
  type RandomSource,
} from './authenticated-encryptor.ts';
export { cbcContextHeader, gcmContextHeader } from './context-header.ts';
export { bytesToGuid, guidToBytes } from './guid-bytes.ts';
export { deriveKey } from './sp800-108.ts';
