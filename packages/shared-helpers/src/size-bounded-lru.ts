/** What SizeBoundedLru keeps: an entry of the caller's own shape, with its key, its size and two links. */
export interface LruEntry {
  readonly key: string;
  /** What the entry counts against the limit (bytes, or 1 to bound a count). */
  size: number;
  older: LruEntry | undefined;
  newer: LruEntry | undefined;
}

/**
 * Entries by key, bounded by the sum of their sizes: past the limit the least recently used go, in O(1)
 * per write. The recency list is linked through the entries themselves rather than kept in the Map's order:
 * taking a Map's first key after many deletions walks over the holes they left, which made every write into
 * a full cache slow; unlinking and relinking an entry is constant time. The caller's entry objects carry the
 * links, so an entry costs no object beyond its own.
 */
export class SizeBoundedLru<E extends LruEntry> {
  readonly #entries = new Map<string, E>();
  /** Least recently used. */
  #oldest: E | undefined;
  #newest: E | undefined;
  #size = 0;
  readonly #sizeLimit: number;

  constructor(sizeLimit: number) {
    this.#sizeLimit = sizeLimit;
  }

  /** The sum of the entries' sizes. */
  get size(): number {
    return this.#size;
  }

  get count(): number {
    return this.#entries.size;
  }

  get sizeLimit(): number {
    return this.#sizeLimit;
  }

  /** The entry of a key, without marking it used. */
  peek(key: string): E | undefined {
    return this.#entries.get(key);
  }

  /** Marks an entry (one this holds) the most recently used. */
  touch(entry: E): void {
    if (entry === this.#newest) return;
    this.#unlink(entry);
    this.#link(entry);
  }

  /** Adds an entry as the most recently used, in place of the key's old one, then evicts down to the limit. */
  add(entry: E): void {
    this.delete(entry.key);
    this.#entries.set(entry.key, entry);
    this.#link(entry);
    this.#size += entry.size;
    while (this.#size > this.#sizeLimit && this.#oldest !== undefined) this.delete(this.#oldest.key);
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#unlink(entry);
    this.#size -= entry.size;
    return true;
  }

  /** Every entry, oldest use first not guaranteed (map order); deleting the current one while iterating is safe. */
  values(): IterableIterator<E> {
    return this.#entries.values();
  }

  clear(): void {
    this.#entries.clear();
    this.#oldest = undefined;
    this.#newest = undefined;
    this.#size = 0;
  }

  #link(entry: E): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }

  #unlink(entry: E): void {
    if (entry.older === undefined) this.#oldest = entry.newer as E | undefined;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older as E | undefined;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}
