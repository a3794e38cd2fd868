import type { DataProtectionProvider as ProtectionProvider } from '@sharedstate/dataprotection-abstractions';
import {
  type Clock,
  type Duration,
  type Logger,
  parseDuration,
  refuseUnknownOptions,
  resolveLogger,
  silentLogger,
  systemClock,
} from '@sharedstate/shared-helpers';
import { type AlgorithmConfiguration, DEFAULT_ALGORITHMS, validateAlgorithms } from './algorithms.ts';
import { type RandomSource, secureRandom } from './authenticated-encryptor.ts';
import {
  type CertificateWithPrivateKey,
  CertificateXmlDecryptor,
  CertificateXmlEncryptor,
} from './certificate-xml-encryption.ts';
import { KeyRingBasedDataProtector } from './data-protector.ts';
import { DataProtectionConfigurationError } from './errors.ts';
import { KeyManager } from './key-manager.ts';
import { KeyRingProvider, noDefaultKeyError } from './key-ring-provider.ts';
import { validatePurposes } from './payload-format.ts';
import { NullXmlDecryptor, type XmlDecryptor, type XmlEncryptor } from './xml-encryption.ts';
import type { XmlRepository } from './xml-repository.ts';

export interface DataProtectionOptions {
  /**
   * Isolates this application's payloads from other applications sharing the key ring: it becomes the
   * first purpose of every protector. Every instance of one app must use the same name; to share cookies
   * with an ASP.NET Core app, use the name it passes to SetApplicationName. `null` means no isolation
   * (ASP.NET Core's DataProtectionProvider without a discriminator).
   */
  applicationName: string | null;
  /** Where the key ring lives. Every instance must use the same one (Redis, Azure Blob, a shared folder). */
  repository: XmlRepository;
  /** Lifetime of new keys; default '90d', at least '7d'. */
  keyLifetime?: Duration;
  /** Create keys when none is valid (default true). Turn off on all but one writer to avoid creation races. */
  autoGenerateKeys?: boolean;
  /** Algorithms for new keys; default AES_256_CBC + HMACSHA256. */
  algorithms?: AlgorithmConfiguration;
  /** Encrypts master keys at rest with this certificate, and decrypts them with its private key. */
  protectKeysWithCertificate?: CertificateWithPrivateKey;
  /** Further certificates whose keys can be decrypted (for certificate roll-over). */
  unprotectKeysWithAnyCertificate?: readonly CertificateWithPrivateKey[];
  /** A custom encryptor for master keys at rest (instead of protectKeysWithCertificate). */
  xmlEncryptor?: XmlEncryptor;
  /** Decryptors for master keys encrypted by custom encryptors. */
  xmlDecryptors?: readonly XmlDecryptor[];
  /**
   * Without an XML encryptor, new master keys are stored unencrypted; in a ring that already holds keys
   * encrypted at rest, creating one is refused (a KeyRingError, logged as an error) unless this is true.
   * Default false.
   */
  allowUnencryptedKeys?: boolean;
  /** Least time between key ring reloads forced by payloads naming an unknown key; default '5s'. */
  unknownKeyRefreshInterval?: Duration;
  /**
   * How often each instance asks the repository whether the ring changed (a key created or revoked by
   * another instance, an operator's tool or an ASP.NET Core app), at the cost of one small round trip when
   * nothing did; the ring is re-read only on a change. Default '30s'; `false` turns the check off (the ring
   * is then re-read about daily, or when a payload names a key it lacks).
   */
  keyRingChangeCheckInterval?: Duration | false;
  /**
   * Where warnings and errors go (a key ring that cannot be loaded or has no usable key, a key that cannot be
   * read); pino, console and most loggers fit. Default: the console's warn and error; `false` for none.
   */
  logger?: Logger | false;
  clock?: Clock;
  /** Random bytes for master keys, key modifiers and IVs. Only tests replace it. */
  random?: RandomSource;
}

/**
 * The entry point: makes protectors over a shared key ring, and manages its keys. A consumer (session-core,
 * an app's own code) needs only the `DataProtectionProvider` of `@sharedstate/dataprotection-abstractions`,
 * which this extends.
 */
export interface DataProtectionProvider extends ProtectionProvider {
  /** Create, revoke, list and delete keys. */
  readonly keyManager: KeyManager;
  /**
   * Loads the key ring now (creating the first key if allowed), so a misconfigured repository fails at
   * startup instead of on the first request. Optional: the ring also loads on first use.
   */
  initialize(): Promise<void>;
  /**
   * Asks the repository now whether the ring changed, and re-reads it if so (what runs every
   * keyRingChangeCheckInterval). Resolves true when it re-read.
   */
  checkForKeyRingChanges(): Promise<boolean>;
  /**
   * Calls `listener` after every load of the key ring, with a test telling whether payloads protected with a
   * key id still unprotect (the key is in the ring and not revoked): a consumer that remembers unprotected
   * payloads forgets those of revoked keys. Returns a function that removes the listener.
   */
  onKeyRingLoaded(listener: (canUnprotectWith: (keyId: string) => boolean) => void): () => void;
}

/** The shortest key lifetime accepted (ASP.NET Core's minimum): `keyLifetime`, and the CLI's `--lifetime`. */
export const MIN_KEY_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** Every option name, kept complete and exact by the compiler. */
const OPTION_NAMES: Readonly<Record<keyof DataProtectionOptions, true>> = {
  applicationName: true,
  repository: true,
  keyLifetime: true,
  autoGenerateKeys: true,
  algorithms: true,
  protectKeysWithCertificate: true,
  unprotectKeysWithAnyCertificate: true,
  xmlEncryptor: true,
  xmlDecryptors: true,
  allowUnencryptedKeys: true,
  unknownKeyRefreshInterval: true,
  keyRingChangeCheckInterval: true,
  logger: true,
  clock: true,
  random: true,
};

export function createDataProtection(options: DataProtectionOptions): DataProtectionProvider {
  if (options === null || typeof options !== 'object') {
    throw new DataProtectionConfigurationError('createDataProtection needs an options object.');
  }
  refuseUnknownOptions(DataProtectionConfigurationError, 'data protection', options, OPTION_NAMES);
  const { applicationName, repository } = options;
  if (applicationName !== null && (typeof applicationName !== 'string' || applicationName.trim() === '')) {
    throw new DataProtectionConfigurationError(
      "applicationName must be a non-empty string shared by every instance of the app (or null for no isolation); e.g. applicationName: 'shop'.",
    );
  }
  if (
    !repository ||
    typeof repository.getAllElements !== 'function' ||
    typeof repository.storeElement !== 'function'
  ) {
    throw new DataProtectionConfigurationError(
      'repository must be an XmlRepository shared by every instance: RedisXmlRepository, AzureBlobXmlRepository, or FileSystemXmlRepository on a shared volume (EphemeralXmlRepository for tests).',
    );
  }
  const keyLifetimeMs = parseDuration(
    options.keyLifetime ?? '90d',
    'keyLifetime',
    DataProtectionConfigurationError,
  );
  if (keyLifetimeMs < MIN_KEY_LIFETIME_MS) {
    throw new DataProtectionConfigurationError(
      `keyLifetime must be at least one week ('7d'); got ${options.keyLifetime}.`,
    );
  }
  const algorithms = validateAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS);
  if (options.xmlEncryptor && options.protectKeysWithCertificate) {
    throw new DataProtectionConfigurationError(
      'Set either xmlEncryptor or protectKeysWithCertificate, not both.',
    );
  }
  const certificates = [
    ...(options.protectKeysWithCertificate ? [options.protectKeysWithCertificate] : []),
    ...(options.unprotectKeysWithAnyCertificate ?? []),
  ];
  const xmlEncryptor =
    options.xmlEncryptor ??
    (options.protectKeysWithCertificate
      ? new CertificateXmlEncryptor(options.protectKeysWithCertificate.certificate)
      : undefined);
  const xmlDecryptors: XmlDecryptor[] = [
    new NullXmlDecryptor(),
    ...(certificates.length > 0 ? [new CertificateXmlDecryptor(certificates)] : []),
    ...(options.xmlDecryptors ?? []),
  ];
  const logger = resolveLogger(options.logger, DataProtectionConfigurationError) ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const keyManager = new KeyManager({
    repository,
    algorithms,
    xmlEncryptor,
    xmlDecryptors,
    allowUnencryptedKeys: options.allowUnencryptedKeys ?? false,
    clock,
    logger,
    random: options.random ?? secureRandom,
  });
  const ringProvider = new KeyRingProvider({
    keyManager,
    clock,
    logger,
    keyLifetimeMs,
    autoGenerateKeys: options.autoGenerateKeys ?? true,
    unknownKeyRefreshIntervalMs: parseDuration(
      options.unknownKeyRefreshInterval ?? '5s',
      'unknownKeyRefreshInterval',
      DataProtectionConfigurationError,
    ),
    changeCheckIntervalMs:
      options.keyRingChangeCheckInterval === false
        ? undefined
        : parseDuration(
            options.keyRingChangeCheckInterval ?? '30s',
            'keyRingChangeCheckInterval',
            DataProtectionConfigurationError,
          ),
  });
  const basePurposes = applicationName === null ? [] : [applicationName];
  const repositoryHint = keyManager.repositoryDescription;
  return {
    applicationName,
    keyManager,
    createProtector(purpose, ...subPurposes) {
      const purposes = [purpose, ...subPurposes];
      validatePurposes(purposes);
      return new KeyRingBasedDataProtector(
        ringProvider,
        [...basePurposes, ...purposes],
        repositoryHint,
        clock,
      );
    },
    async initialize() {
      const ring = await ringProvider.getCurrentKeyRing();
      if (ring.defaultKey === undefined)
        throw ring.keyCreationRefused ?? noDefaultKeyError(repositoryHint, ring.keys);
    },
    checkForKeyRingChanges: () => ringProvider.checkForChanges(),
    onKeyRingLoaded: (listener) => ringProvider.onLoad(listener),
  };
}
