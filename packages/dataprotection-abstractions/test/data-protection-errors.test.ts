import {
  DataProtectionError,
  KeyNotFoundError,
  KeyRevokedError,
  PayloadError,
  PayloadExpiredError,
  PayloadInvalidError,
  RepositoryUnavailableError,
} from '@sharedstate/dataprotection-abstractions';

describe('the errors a consumer of protection catches', () => {
  test('every way a payload can be bad is a PayloadError, and says which one by name', () => {
    const errors = [
      new PayloadInvalidError('The payload is invalid.'),
      new KeyNotFoundError('3d6d01fd-c0e7-44ae-82dd-013b996b4093', 'not in the ring'),
      new KeyRevokedError('3d6d01fd-c0e7-44ae-82dd-013b996b4093', 'revoked'),
      new PayloadExpiredError(new Date(0), 'expired'),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(PayloadError);
      expect(error).toBeInstanceOf(DataProtectionError);
      expect(error.name).toBe(error.constructor.name);
    }
    expect((errors[1] as KeyNotFoundError).keyId).toBe('3d6d01fd-c0e7-44ae-82dd-013b996b4093');
    expect((errors[3] as PayloadExpiredError).expiredAt).toEqual(new Date(0));
  });

  test('an unreachable key repository is not a bad payload', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new RepositoryUnavailableError('The key ring could not be read.', { cause });
    expect(error).toBeInstanceOf(DataProtectionError);
    expect(error).not.toBeInstanceOf(PayloadError);
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('RepositoryUnavailableError: The key ring could not be read.');
  });
});
