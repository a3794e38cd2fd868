import { createHash, randomUUID } from 'node:crypto';
import { KeyRingError } from '@sharedstate/dataprotection-abstractions';
import { type Clock, isGuid, type Logger } from '@sharedstate/shared-helpers';
import type { Element } from '@xmldom/xmldom';
import type { AlgorithmConfiguration } from './algorithms.ts';
import type { RandomSource } from './authenticated-encryptor.ts';
import { XmlKeyFormatError } from './errors.ts';
import { Key } from './key.ts';
import { type KeyRingContents, readKeyRingElements, withPositions } from './key-ring-contents.ts';
import { keyFromXml, keyToXml, type Revocation, revocationToXml } from './key-xml.ts';
import { formatCompactUtc } from './xml-date.ts';
import { childElement, parseXmlElement, serializeCompact } from './xml-document.ts';
import type { XmlDecryptor, XmlEncryptor } from './xml-encryption.ts';
import type { XmlRepository } from './xml-repository.ts';

export interface KeyManagerOptions {
  repository: XmlRepository;
  algorithms: Required<AlgorithmConfiguration>;
  xmlEncryptor: XmlEncryptor | undefined;
  xmlDecryptors: readonly XmlDecryptor[];
  /** Store new master keys unencrypted even when the ring holds encrypted ones (no xmlEncryptor). */
  allowUnencryptedKeys: boolean;
  clock: Clock;
  logger: Logger;
  random: RandomSource;
}

/**
 * Reads and writes the key ring's XML in the repository (ASP.NET Core's XmlKeyManager): creates keys,
 * records revocations, and turns the stored elements into keys with revocations applied.
 */
export class KeyManager {
  readonly #options: KeyManagerOptions;
  readonly #listeners = new Set<() => void>();
  #warnedUnencrypted = false;
  /** The keys of the last read, which a key created next is checked against (no second read). */
  #lastRead: readonly Key[] | undefined;

  constructor(options: KeyManagerOptions) {
    this.#options = options;
  }

  /** Called after this manager creates or revokes a key, so a cached ring can be dropped at once. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get repositoryDescription(): string {
    return this.#options.repository.description ?? this.#options.repository.constructor.name;
  }

  /**
   * A value that changes whenever the stored ring changes: the repository's own change token, or, for a
   * repository without one, a digest of every element (a full read).
   */
  async getChangeToken(): Promise<string> {
    const { repository } = this.#options;
    if (repository.getChangeToken) return repository.getChangeToken();
    const elements = [...(await repository.getAllElements())].sort();
    return createHash('sha256').update(elements.join('\n')).digest('base64');
  }

  /** Whether the repository pushes changes (see XmlRepository.watch). */
  get pushesChanges(): boolean {
    return typeof this.#options.repository.watch === 'function';
  }

  /** Subscribes to the repository's change announcements, where it has them; returns how to stop. */
  watch(onChange: () => void): () => void {
    return this.#options.repository.watch?.(onChange) ?? (() => {});
  }

  /** Every key in the repository (not-yet-active, active, expired), with revocations applied. */
  async getAllKeys(): Promise<Key[]> {
    return [...(await this.readKeyRing()).keys];
  }

  /**
   * The keys, with every readable revocation applied, and the elements that could not be read (each with
   * where it is stored and what it was taken to be). One bad element never stops the others.
   */
  async readKeyRing(): Promise<KeyRingContents> {
    const { repository, logger, xmlDecryptors, random } = this.#options;
    const stored = repository.listElements
      ? await repository.listElements()
      : withPositions(await repository.getAllElements());
    const contents = readKeyRingElements(stored, {
      repositoryDescription: this.repositoryDescription,
      decryptors: xmlDecryptors,
      random,
      logger,
    });
    this.#lastRead = contents.keys;
    return contents;
  }

  /**
   * Deletes the elements the ring cannot read (see `readKeyRing`), where the repository supports deletion,
   * and returns how many it deleted. The first copy of a key stored twice stays.
   */
  async deleteInvalidElements(): Promise<number> {
    const { repository } = this.#options;
    if (!repository.deleteElements) {
      throw new KeyRingError(`${this.repositoryDescription} does not support deleting elements.`);
    }
    const { invalidElements } = await this.readKeyRing();
    if (invalidElements.length === 0) return 0;
    // Counted by text: a second copy of a key has the same text as the first, and only one copy goes.
    const doomed = new Map<string, number>();
    for (const { xml } of invalidElements) doomed.set(xml, (doomed.get(xml) ?? 0) + 1);
    const deleted = await repository.deleteElements((text) => {
      const left = doomed.get(text) ?? 0;
      if (left === 0) return false;
      doomed.set(text, left - 1);
      return true;
    });
    if (deleted > 0) this.#changed();
    return deleted;
  }

  /** Creates and stores a new key with a fresh 512-bit master key. */
  async createKey(activationDate: Date, expirationDate: Date): Promise<Key> {
    const { algorithms, xmlEncryptor, logger, random, clock, xmlDecryptors, repository } = this.#options;
    const id = randomUUID();
    const creationDate = new Date(clock.now());
    if (!xmlEncryptor && !this.#options.allowUnencryptedKeys)
      await this.#refuseUnencryptedKeyInEncryptedRing();
    if (!xmlEncryptor && !this.#warnedUnencrypted) {
      this.#warnedUnencrypted = true;
      logger.warn(
        `No XML encryptor configured. Key {${id}} may be persisted to storage in unencrypted form. Set xmlEncryptor (e.g. a CertificateXmlEncryptor) to protect keys at rest.`,
      );
    }
    const element = keyToXml(
      {
        id,
        creationDate,
        activationDate,
        expirationDate,
        descriptor: {
          encryption: algorithms.encryption,
          validation: algorithms.validation,
          masterKey: random(64),
        },
      },
      xmlEncryptor,
    );
    const xml = serializeCompact(element);
    await repository.storeElement(xml, `key-${id}`);
    logger.info(
      `Created key {${id}} (active ${activationDate.toISOString()} to ${expirationDate.toISOString()}).`,
    );
    this.#changed();
    return new Key(keyFromXml(parseXmlElement(xml)), xmlDecryptors, random);
  }

  /** Revokes one key: payloads protected with it no longer unprotect (except through dangerousUnprotect). */
  async revokeKey(keyId: string, reason?: string): Promise<void> {
    if (!isGuid(keyId)) throw new XmlKeyFormatError(`'${keyId}' is not a key id (a GUID).`);
    const id = keyId.toLowerCase();
    await this.#storeRevocation(
      { revocationDate: new Date(this.#options.clock.now()), keyId: id, reason },
      `revocation-${id}`,
    );
  }

  /** Revokes every key created before `revocationDate` (default: now), e.g. after a key leak. */
  async revokeAllKeys(
    revocationDate: Date = new Date(this.#options.clock.now()),
    reason?: string,
  ): Promise<void> {
    await this.#storeRevocation(
      { revocationDate, keyId: '*', reason },
      `revocation-${formatCompactUtc(revocationDate)}`,
    );
  }

  /**
   * Deletes expired keys the predicate selects, and the revocations that no longer matter, when the
   * repository supports deletion. Deleting a key makes its payloads unreadable forever.
   */
  async deleteKeys(
    shouldDelete: (key: Key) => boolean,
    options: { includeUnexpired?: boolean } = {},
  ): Promise<number> {
    const { repository, clock } = this.#options;
    if (!repository.deleteElements) {
      throw new KeyRingError(`${this.repositoryDescription} does not support deleting elements.`);
    }
    const keys = await this.getAllKeys();
    const now = clock.now();
    const doomed = new Set(
      keys
        .filter((key) => (options.includeUnexpired || key.isExpired(now)) && shouldDelete(key))
        .map((key) => key.id),
    );
    const remaining = new Set(keys.map((key) => key.id).filter((id) => !doomed.has(id)));
    const deleted = await repository.deleteElements((text) => {
      let element: Element;
      try {
        element = parseXmlElement(text, this.repositoryDescription);
      } catch {
        return false; // unreadable elements go with deleteInvalidElements, after an operator has seen them
      }
      const name = element.localName ?? element.nodeName;
      if (name === 'key') return doomed.has((element.getAttribute('id') ?? '').toLowerCase());
      if (name === 'revocation') {
        const keyId = (childElement(element, 'key')?.getAttribute('id') ?? '*').toLowerCase();
        return keyId !== '*' && !remaining.has(keyId);
      }
      return false;
    });
    if (deleted > 0) this.#changed();
    return deleted;
  }

  /**
   * An instance that lacks the ring's certificate would otherwise store a master key in clear beside keys
   * that are encrypted, and protect cookies with it: a ring whose keys are encrypted at rest gets no
   * unencrypted key unless the app says so.
   */
  async #refuseUnencryptedKeyInEncryptedRing(): Promise<void> {
    const keys = this.#lastRead ?? (await this.readKeyRing()).keys;
    const encrypted = keys.filter((key) => key.encryptedAtRest && !key.isRevoked);
    if (encrypted.length === 0) return;
    const error = new KeyRingError(
      `The key ring in ${this.repositoryDescription} holds ${encrypted.length} key(s) encrypted at rest (e.g. key {${encrypted[0]!.id}}), and this instance has no XML encryptor, so a new key would be stored unencrypted beside them. Configure the ring's certificate (protectKeysWithCertificate, or --certificate and --private-key for sharedstate-keys), or set allowUnencryptedKeys: true (--allow-unencrypted) to store unencrypted keys in this ring on purpose.`,
    );
    this.#options.logger.error(error.message);
    throw error;
  }

  async #storeRevocation(revocation: Revocation, friendlyName: string): Promise<void> {
    await this.#options.repository.storeElement(serializeCompact(revocationToXml(revocation)), friendlyName);
    this.#options.logger.info(
      revocation.keyId === '*'
        ? `Revoked all keys created before ${revocation.revocationDate.toISOString()}.`
        : `Revoked key {${revocation.keyId}}.`,
    );
    this.#changed();
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
