import { PayloadNotProtectedError } from '@sharedstate/dataprotection-abstractions';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strictly decodes the base64url text (no padding) that string protection produces. */
export function decodeBase64Url(text: string): Buffer {
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.length % 4 === 1) {
    throw new PayloadNotProtectedError('The protected payload is not a base64url string.');
  }
  return Buffer.from(text, 'base64url');
}
