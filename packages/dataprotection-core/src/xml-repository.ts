/** One stored element and where it is. */
export interface StoredXmlElement {
  /** The element's text as stored. */
  readonly xml: string;
  /** Where an operator finds it: "file 'key-….xml'", "row \"Id\" 12". */
  readonly location: string;
}

/**
 * Where the key ring lives: a flat collection of XML elements (`<key>` and `<revocation>`), each a string of
 * compact XML. Every instance of an application must use the same repository (and application name) to
 * read each other's payloads. Implementations run the suite in `@sharedstate/dataprotection-core/testing`.
 */
export interface XmlRepository {
  /**
   * Every element stored, in the order they were stored where the store keeps one. A failure to reach the
   * store must throw (a missed revocation is a security problem); an element that is not well-formed is
   * returned as it is stored, for the key ring to report and skip.
   */
  getAllElements(): Promise<readonly string[]>;
  /**
   * Optional: the same elements with where each is stored (a file name, a row id), so that an element the
   * ring cannot read is reported by a name an operator can find. Without it, elements are named by position.
   */
  listElements?(): Promise<readonly StoredXmlElement[]>;
  /** Adds one element. `friendlyName` (e.g. `key-{id}`) may be used to name it; it need not be unique. */
  storeElement(element: string, friendlyName: string): Promise<void>;
  /**
   * Optional: removes the elements the predicate selects and returns how many it removed. The predicate gets
   * each element's text as `getAllElements` returns it, unreadable ones included.
   */
  deleteElements?(shouldDelete: (element: string) => boolean): Promise<number>;
  /**
   * Optional, and worth having: a short value that changes whenever the stored elements change (an element
   * count, an ETag, a directory listing), costing one small round trip. Running instances call it every
   * `keyRingChangeCheckInterval` and re-read the whole ring only when it differs from the value read with
   * the ring; without it they re-read the whole ring each interval and compare.
   */
  getChangeToken?(): Promise<string>;
  /**
   * Optional, where the store can push (Redis pub/sub, PostgreSQL LISTEN/NOTIFY): calls `onChange` soon
   * after any repository of this kind over the same storage stored or deleted an element, and returns a
   * function that stops watching. Such a repository announces its own writes. A hint only: running
   * instances then check for changes at once (the change token confirms), and keep their periodic check,
   * since writers that do not announce (ASP.NET Core) exist.
   */
  watch?(onChange: () => void): () => void;
  /** Where the elements live, for error messages ("RedisXmlRepository 'DataProtection-Keys'"). */
  readonly description?: string;
}
