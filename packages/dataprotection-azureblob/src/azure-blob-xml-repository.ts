import { setTimeout as sleep } from 'node:timers/promises';
import {
  BlockBlobClient,
  type ContainerClient,
  isRestError,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import {
  DataProtectionConfigurationError,
  documentElements,
  parseXmlElement,
  RepositoryUnavailableError,
  serializeCompact,
  type XmlRepository,
} from '@sharedstate/dataprotection-core';
import { refuseUnknownOptions } from '@sharedstate/shared-helpers';

export interface AzureBlobXmlRepositoryOptions {
  /** The blob holding the key ring (e.g. from `containerClient.getBlockBlobClient('keys.xml')`). */
  blobClient?: BlockBlobClient;
  /** Or a container client plus `blobName`. */
  containerClient?: ContainerClient;
  /** Or a storage connection string plus `containerName` and `blobName`. */
  connectionString?: string;
  containerName?: string;
  /** Default 'keys.xml'. */
  blobName?: string;
  /**
   * Attempts of a write that keeps losing races with other writers. Default 10 (ASP.NET Core tries 5, which
   * loses writes when many instances start at once).
   */
  maxWriteAttempts?: number;
}

const OPTION_NAMES: Readonly<Record<keyof AzureBlobXmlRepositoryOptions, true>> = {
  blobClient: true,
  containerClient: true,
  connectionString: true,
  containerName: true,
  blobName: true,
  maxWriteAttempts: true,
};

const BOM = '\ufeff';
const DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';
/** Retries fast enough that a fault is reported within seconds, not after the SDK's long default back-off. */
const BOUNDED_RETRIES: StoragePipelineOptions = {
  retryOptions: { maxTries: 2, tryTimeoutInMs: 5_000, retryDelayInMs: 200 },
};

interface CachedDocument {
  etag: string;
  elements: string[];
}

/**
 * Refuses options that name the blob twice: of a `blobClient` and a `containerClient` (or a connection
 * string) given together, one would be ignored without a word and the instances could read different blobs.
 */
function refuseTwoBlobs(options: AzureBlobXmlRepositoryOptions): void {
  const given = (['blobClient', 'containerClient', 'connectionString'] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length > 1) {
    throw new DataProtectionConfigurationError(
      `AzureBlobXmlRepository got both \`${given[0]}\` and \`${given[1]}\`: give one way to reach the blob.`,
    );
  }
  const client = given[0];
  const ignored =
    client === 'blobClient'
      ? (['blobName', 'containerName'] as const).find((name) => options[name] !== undefined)
      : client === 'containerClient' && options.containerName !== undefined
        ? 'containerName'
        : undefined;
  if (ignored !== undefined) {
    throw new DataProtectionConfigurationError(
      `AzureBlobXmlRepository got \`${ignored}\` with a \`${client}\`, which already names its ${client === 'blobClient' ? 'blob' : 'container'}: drop \`${ignored}\`.`,
    );
  }
}

/**
 * The key ring in one Azure blob, as ASP.NET Core's PersistKeysToAzureBlobStorage keeps it: a single XML
 * document whose root's children are the `<key>` and `<revocation>` elements. Reads are conditional on the
 * cached ETag; writes and deletions rewrite the document guarded by the ETag, retrying when another instance
 * wrote first. The document must be well-formed as a whole: a damaged blob fails the read, while a
 * well-formed element the ring cannot use is reported by the ring and removable with deleteElements.
 */
export class AzureBlobXmlRepository implements XmlRepository {
  readonly #blob: BlockBlobClient;
  readonly #maxAttempts: number;
  readonly description: string;
  #cached: CachedDocument | undefined;

  constructor(options: AzureBlobXmlRepositoryOptions) {
    if (options === null || typeof options !== 'object') {
      throw new DataProtectionConfigurationError('AzureBlobXmlRepository needs an options object.');
    }
    refuseUnknownOptions(DataProtectionConfigurationError, 'AzureBlobXmlRepository', options, OPTION_NAMES);
    refuseTwoBlobs(options);
    const blobName = options.blobName ?? 'keys.xml';
    if (options.blobClient) this.#blob = options.blobClient;
    else if (options.containerClient) this.#blob = options.containerClient.getBlockBlobClient(blobName);
    else if (options.connectionString && options.containerName) {
      this.#blob = new BlockBlobClient(
        options.connectionString,
        options.containerName,
        blobName,
        BOUNDED_RETRIES,
      );
    } else {
      throw new DataProtectionConfigurationError(
        'AzureBlobXmlRepository needs `blobClient`, or `containerClient` (+ blobName), or `connectionString` + `containerName` (+ blobName).',
      );
    }
    this.#maxAttempts = options.maxWriteAttempts ?? 10;
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1) {
      throw new DataProtectionConfigurationError('maxWriteAttempts must be a whole number of at least 1.');
    }
    this.description = `AzureBlobXmlRepository '${this.#blob.url}'`;
  }

  async getAllElements(): Promise<readonly string[]> {
    await this.#refresh();
    return [...(this.#cached?.elements ?? [])];
  }

  /** The blob's ETag, from a HEAD request: it changes with every upload, by this library or ASP.NET Core. */
  async getChangeToken(): Promise<string> {
    try {
      return (await this.#blob.getProperties()).etag ?? '';
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return '';
      throw this.#unavailable('check', error);
    }
  }

  async storeElement(element: string, _friendlyName: string): Promise<void> {
    // Validate before any I/O: a malformed element must not reach the shared document.
    const compact = serializeCompact(parseXmlElement(element, 'the element to store'));
    await this.#rewrite('write', (elements) => ({ elements: [...elements, compact], result: undefined }));
  }

  /** Rewrites the document without the selected elements, guarded by its ETag like a write. */
  async deleteElements(shouldDelete: (element: string) => boolean): Promise<number> {
    await this.#refresh();
    return this.#rewrite('delete from', (elements) => {
      const kept = elements.filter((element) => !shouldDelete(element));
      return { elements: kept, result: elements.length - kept.length };
    });
  }

  /**
   * Uploads `change` applied to the current document, conditional on its ETag; when another writer won, re-reads
   * and applies `change` again, with a short random back-off (hundreds of milliseconds, not ASP.NET Core's
   * accidental half hour), so concurrent writers never overwrite each other.
   */
  async #rewrite<T>(
    what: string,
    change: (elements: readonly string[]) => { elements: string[]; result: T },
  ): Promise<T> {
    let lastConflict: unknown;
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      if (attempt >= 1) {
        // Full jitter, growing to at most 1.6 s: racing writers spread out instead of colliding again.
        await sleep(Math.random() * 100 * 2 ** Math.min(attempt, 4));
        await this.#refresh();
      }
      const base = this.#cached;
      const { elements, result } = change(base?.elements ?? []);
      const before = base?.elements ?? [];
      if (elements.length === before.length && elements.every((element, i) => element === before[i]))
        return result; // nothing to change
      const body = `${BOM}${DECLARATION}<repository>${elements.join('')}</repository>`;
      try {
        const response = await this.#blob.upload(body, Buffer.byteLength(body), {
          blobHTTPHeaders: { blobContentType: 'application/xml; charset=utf-8' },
          conditions: base ? { ifMatch: base.etag } : { ifNoneMatch: '*' },
        });
        this.#cached = { etag: response.etag ?? '', elements };
        return result;
      } catch (error) {
        // 409/412: another instance wrote first. 404 with a cached ETag: the blob was deleted meanwhile.
        // Either way: re-read and try again. isRestError rather than instanceof: the app's other Azure SDKs
        // can bring a second copy of the HTTP pipeline, whose RestError is another class.
        const retry =
          isRestError(error) &&
          (error.statusCode === 409 ||
            error.statusCode === 412 ||
            (error.statusCode === 404 && base !== undefined && error.code !== 'ContainerNotFound'));
        if (retry) {
          lastConflict = error;
          continue;
        }
        throw this.#unavailable(what, error);
      }
    }
    throw new RepositoryUnavailableError(
      `Could not ${what} the key ring in ${this.description}: other writers won ${this.#maxAttempts} times in a row.`,
      { cause: lastConflict },
    );
  }

  /** Downloads the blob unless the cached ETag is still current. */
  async #refresh(): Promise<void> {
    const cached = this.#cached;
    try {
      const response = await this.#blob.download(
        0,
        undefined,
        cached ? { conditions: { ifNoneMatch: cached.etag } } : {},
      );
      const text = (await streamToBuffer(response.readableStreamBody)).toString('utf8');
      this.#cached = { etag: response.etag ?? '', elements: documentElements(text, this.description) };
    } catch (error) {
      if (isRestError(error) && error.statusCode === 304) return; // not modified
      if (isRestError(error) && error.statusCode === 404) {
        this.#cached = undefined; // no blob (or no container): no keys yet
        return;
      }
      throw this.#unavailable('read', error);
    }
  }

  #unavailable(what: string, error: unknown): Error {
    if (isRestError(error) && error.code === 'ContainerNotFound') {
      return new RepositoryUnavailableError(
        `Could not ${what} the key ring in ${this.description}: the container does not exist. Create it (private access) before starting the app.`,
        { cause: error },
      );
    }
    if (isRestError(error) && (error.statusCode === 401 || error.statusCode === 403)) {
      return new RepositoryUnavailableError(
        `Could not ${what} the key ring in ${this.description}: access denied (${error.statusCode}). The identity needs read and write on the blob (e.g. Storage Blob Data Contributor).`,
        { cause: error },
      );
    }
    return new RepositoryUnavailableError(
      `Could not ${what} the key ring in ${this.description}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

async function streamToBuffer(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
