import { DataProtectionConfigurationError } from './errors.ts';

/** ASP.NET Core's EncryptionAlgorithm names, exactly as they appear in key XML. */
export type EncryptionAlgorithm =
  | 'AES_128_CBC'
  | 'AES_192_CBC'
  | 'AES_256_CBC'
  | 'AES_128_GCM'
  | 'AES_192_GCM'
  | 'AES_256_GCM';

/**
 * Validation (MAC) algorithms. ASP.NET Core writes HMACSHA256 and HMACSHA512; HMACSHA1 and HMACSHA384 appear
 * in legacy managed and CNG descriptors and are read.
 */
export type ValidationAlgorithm = 'HMACSHA1' | 'HMACSHA256' | 'HMACSHA384' | 'HMACSHA512';

/** The algorithms new keys are created with. Default AES_256_CBC + HMACSHA256, as ASP.NET Core. */
export interface AlgorithmConfiguration {
  encryption: EncryptionAlgorithm;
  /** Ignored for GCM, which authenticates by itself. */
  validation?: ValidationAlgorithm;
}

export const DEFAULT_ALGORITHMS: Readonly<Required<AlgorithmConfiguration>> = {
  encryption: 'AES_256_CBC',
  validation: 'HMACSHA256',
};

export const ENCRYPTION_ALGORITHMS: readonly EncryptionAlgorithm[] = [
  'AES_128_CBC',
  'AES_192_CBC',
  'AES_256_CBC',
  'AES_128_GCM',
  'AES_192_GCM',
  'AES_256_GCM',
];
export const VALIDATION_ALGORITHMS: readonly ValidationAlgorithm[] = [
  'HMACSHA1',
  'HMACSHA256',
  'HMACSHA384',
  'HMACSHA512',
];

export interface CipherParameters {
  mode: 'cbc' | 'gcm';
  /** Symmetric key length in bytes. */
  keyLength: 16 | 24 | 32;
}

export function cipherParameters(algorithm: EncryptionAlgorithm): CipherParameters {
  const match = /^AES_(128|192|256)_(CBC|GCM)$/.exec(algorithm);
  if (!match) {
    throw new DataProtectionConfigurationError(
      `Unknown encryption algorithm '${algorithm}'; expected one of ${ENCRYPTION_ALGORITHMS.join(', ')}.`,
    );
  }
  return { mode: match[2] === 'CBC' ? 'cbc' : 'gcm', keyLength: (Number(match[1]) / 8) as 16 | 24 | 32 };
}

export interface HashParameters {
  /** node:crypto digest name. */
  digest: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  /** Digest length in bytes; the HMAC subkey has the same length. */
  length: number;
}

const HASHES: Record<ValidationAlgorithm, HashParameters> = {
  HMACSHA1: { digest: 'sha1', length: 20 },
  HMACSHA256: { digest: 'sha256', length: 32 },
  HMACSHA384: { digest: 'sha384', length: 48 },
  HMACSHA512: { digest: 'sha512', length: 64 },
};

export function hashParameters(algorithm: ValidationAlgorithm): HashParameters {
  const found = HASHES[algorithm];
  if (found === undefined) {
    throw new DataProtectionConfigurationError(
      `Unknown validation algorithm '${algorithm}'; expected one of ${VALIDATION_ALGORITHMS.join(', ')}.`,
    );
  }
  return found;
}

/** Validates an algorithms option, naming what is wrong. */
export function validateAlgorithms(configuration: AlgorithmConfiguration): Required<AlgorithmConfiguration> {
  const { mode } = cipherParameters(configuration.encryption);
  const validation = configuration.validation ?? 'HMACSHA256';
  hashParameters(validation);
  if (mode === 'cbc' && (validation === 'HMACSHA1' || validation === 'HMACSHA384')) {
    throw new DataProtectionConfigurationError(
      `algorithms.validation '${validation}' is read from legacy keys but not used for new ones; use HMACSHA256 or HMACSHA512.`,
    );
  }
  return { encryption: configuration.encryption, validation };
}
