import type { Key } from './key.ts';

/** A snapshot of the key ring: the default key that protects, and every key that may unprotect. */
export class KeyRing {
  /**
   * The key new payloads are protected with; undefined when the ring holds none that may protect (every key
   * revoked or expired, and autoGenerateKeys off): then protect fails and unprotect still works.
   */
  readonly defaultKey: Key | undefined;
  /** Epoch ms after which the ring should be re-read from the repository. */
  readonly expiresAt: number;
  /** The repository's change token read with this ring: a different one means the stored ring changed. */
  readonly changeToken: string;
  /** Why no key could be created when one was needed, if creating one was refused. */
  readonly keyCreationRefused: Error | undefined;
  readonly #keys: Map<string, Key>;
  /** By the 16 payload bytes (hex), so unprotect needs no GUID formatting. */
  readonly #byIdBytes: Map<string, Key>;

  constructor(
    defaultKey: Key | undefined,
    keys: readonly Key[],
    expiresAt: number,
    changeToken: string,
    keyCreationRefused?: Error,
  ) {
    this.defaultKey = defaultKey;
    this.keyCreationRefused = keyCreationRefused;
    this.expiresAt = expiresAt;
    this.changeToken = changeToken;
    this.#keys = new Map(keys.map((key) => [key.id, key]));
    if (defaultKey) this.#keys.set(defaultKey.id, defaultKey);
    this.#byIdBytes = new Map(
      [...this.#keys.values()].map((key) => [Buffer.from(key.idBytes).toString('hex'), key]),
    );
  }

  getKeyByIdBytes(idBytes: Buffer): Key | undefined {
    return this.#byIdBytes.get(idBytes.toString('hex'));
  }

  getKey(id: string): Key | undefined {
    return this.#keys.get(id);
  }

  get keys(): readonly Key[] {
    return [...this.#keys.values()];
  }

  /** Whether payloads protected with this key id still unprotect: the key is in the ring and not revoked. */
  canUnprotectWith(keyId: string): boolean {
    const key = this.#keys.get(keyId);
    return key !== undefined && !key.isRevoked;
  }

  /** The same ring, trusted a little longer (after a failed refresh). */
  extendedTo(expiresAt: number): KeyRing {
    return new KeyRing(this.defaultKey, this.keys, expiresAt, this.changeToken, this.keyCreationRefused);
  }
}
