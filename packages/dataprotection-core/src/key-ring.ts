import type { Key } from './key.ts';

/** A snapshot of the key ring: the default key that protects, and every key that may unprotect. */
export class KeyRing {
  readonly defaultKey: Key;
  /** Epoch ms after which the ring should be re-read from the repository. */
  readonly expiresAt: number;
  readonly #keys: Map<string, Key>;
  /** By the 16 payload bytes (hex), so unprotect needs no GUID formatting. */
  readonly #byIdBytes: Map<string, Key>;

  constructor(defaultKey: Key, keys: readonly Key[], expiresAt: number) {
    this.defaultKey = defaultKey;
    this.expiresAt = expiresAt;
    this.#keys = new Map(keys.map((key) => [key.id, key]));
    this.#keys.set(defaultKey.id, defaultKey);
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

  /** The same ring, trusted a little longer (after a failed refresh). */
  extendedTo(expiresAt: number): KeyRing {
    return new KeyRing(this.defaultKey, this.keys, expiresAt);
  }
}
