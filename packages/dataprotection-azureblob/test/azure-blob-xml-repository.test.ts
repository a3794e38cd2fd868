import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { AzureBlobXmlRepository } from '@sharedstate/dataprotection-azureblob';
import { createDataProtection, RepositoryUnavailableError } from '@sharedstate/dataprotection-core';
import { describeXmlRepositoryConformance } from '@sharedstate/dataprotection-core/testing';
import { describeWithService, services } from '@sharedstate/testing';

let blobs = 0;

describeWithService(services.azurite(), 'AzureBlobXmlRepository on Azurite', (azurite) => {
  let container: ContainerClient;
  beforeAll(async () => {
    container = BlobServiceClient.fromConnectionString(azurite().connectionString).getContainerClient(
      'dataprotection',
    );
    await container.createIfNotExists();
  });

  describeXmlRepositoryConformance('AzureBlobXmlRepository', {
    createStorage() {
      const blobName = `conformance-${blobs++}.xml`;
      return {
        open: () => new AzureBlobXmlRepository({ containerClient: container, blobName }),
        damagedElementsAreWellFormed: true,
        // Another writer's element, inserted into the document as ASP.NET Core would append it.
        async storeDamaged(text) {
          const blob = container.getBlockBlobClient(blobName);
          const document = (await blob.downloadToBuffer()).toString('utf8');
          const body = document.replace('</repository>', `${text}</repository>`);
          await blob.upload(body, Buffer.byteLength(body));
        },
      };
    },
  });

  test('the blob is one XML document as ASP.NET Core writes it, and every instance reads it', async () => {
    const repository = new AzureBlobXmlRepository({
      connectionString: azurite().connectionString,
      containerName: 'dataprotection',
      blobName: 'shop-keys.xml',
    });
    const provider = createDataProtection({ logger: false, applicationName: 'shop', repository });
    const token = await provider.createProtector('p').protect('across instances');
    const download = await container.getBlockBlobClient('shop-keys.xml').downloadToBuffer();
    expect(download.subarray(0, 3).toString('hex')).toBe('efbbbf');
    expect(download.subarray(3).toString('utf8')).toMatch(
      /^<\?xml version="1.0" encoding="utf-8"\?><repository><key id="[0-9a-f-]{36}" version="1">/,
    );
    const properties = await container.getBlockBlobClient('shop-keys.xml').getProperties();
    expect(properties.contentType).toBe('application/xml; charset=utf-8');
    const other = createDataProtection({
      logger: false,
      applicationName: 'shop',
      repository: new AzureBlobXmlRepository({ containerClient: container, blobName: 'shop-keys.xml' }),
    });
    expect(await other.createProtector('p').unprotect(token)).toBe('across instances');
  });

  test('an empty blob, a missing blob and any root element name are read as ASP.NET Core reads them', async () => {
    const empty = container.getBlockBlobClient('empty.xml');
    await empty.upload('', 0);
    expect(await new AzureBlobXmlRepository({ blobClient: empty }).getAllElements()).toEqual([]);
    expect(
      await new AzureBlobXmlRepository({
        containerClient: container,
        blobName: 'missing.xml',
      }).getAllElements(),
    ).toEqual([]);
    const other = container.getBlockBlobClient('other-root.xml');
    const text =
      '\ufeff<?xml version="1.0" encoding="utf-8"?><keyring><revocation version="1"><revocationDate>2030-01-01T00:00:00Z</revocationDate><key id="*"/><reason/></revocation></keyring>';
    await other.upload(text, Buffer.byteLength(text));
    const elements = await new AzureBlobXmlRepository({ blobClient: other }).getAllElements();
    expect(elements).toHaveLength(1);
    expect(elements[0]).toContain('<revocation version="1">');
  });

  test('an unchanged blob is not downloaded again: reads are conditional on the ETag', async () => {
    const blob = container.getBlockBlobClient('etag.xml');
    const statuses: number[] = [];
    const download = blob.download.bind(blob);
    // The real client, observed: record the status of each download it makes.
    blob.download = async (...args: Parameters<typeof blob.download>) => {
      try {
        const response = await download(...args);
        statuses.push(response._response.status);
        return response;
      } catch (error) {
        statuses.push((error as { statusCode: number }).statusCode);
        throw error;
      }
    };
    const repository = new AzureBlobXmlRepository({ blobClient: blob });
    await repository.storeElement('<key id="00000000-0000-0000-0000-000000000001" version="1"/>', 'k');
    await repository.getAllElements();
    await repository.getAllElements();
    expect(statuses.slice(-2)).toEqual([304, 304]);
    await new AzureBlobXmlRepository({ blobClient: container.getBlockBlobClient('etag.xml') }).storeElement(
      '<key id="00000000-0000-0000-0000-000000000002" version="1"/>',
      'k',
    );
    expect(await repository.getAllElements()).toHaveLength(2);
    expect(statuses.at(-1)).toBe(200);
  });

  test('a missing container fails writes with a message saying to create it', async () => {
    const repository = new AzureBlobXmlRepository({
      connectionString: azurite().connectionString,
      containerName: 'no-such-container',
    });
    await expect(repository.storeElement('<key/>', 'k')).rejects.toThrow(/container does not exist/);
  });

  test('options are checked at construction', () => {
    expect(() => new AzureBlobXmlRepository({})).toThrow(/blobClient/);
    expect(() => new AzureBlobXmlRepository({ containerClient: container, maxWriteAttempts: 0 })).toThrow(
      /maxWriteAttempts/,
    );
  });

  test('a misspelt option, or a blob named twice, fails at construction instead of reaching another blob', () => {
    expect(
      () => new AzureBlobXmlRepository({ containerClient: container, blob: 'ring.xml' } as never),
    ).toThrow(
      "Unknown AzureBlobXmlRepository option 'blob': the options are blobClient, containerClient, connectionString, containerName, blobName, maxWriteAttempts.",
    );
    const blobClient = container.getBlockBlobClient('keys.xml');
    expect(() => new AzureBlobXmlRepository({ blobClient, blobName: 'other.xml' })).toThrow(
      'AzureBlobXmlRepository got `blobName` with a `blobClient`, which already names its blob: drop `blobName`.',
    );
    expect(() => new AzureBlobXmlRepository({ containerClient: container, containerName: 'other' })).toThrow(
      /got `containerName` with a `containerClient`/,
    );
    expect(
      () =>
        new AzureBlobXmlRepository({
          containerClient: container,
          connectionString: azurite().connectionString,
          containerName: 'dataprotection',
        }),
    ).toThrow(
      'AzureBlobXmlRepository got both `containerClient` and `connectionString`: give one way to reach the blob.',
    );
    expect(
      new AzureBlobXmlRepository({
        containerClient: container,
        blobName: 'ring.xml',
        // A config spread with the field unset (JavaScript callers; the types forbid it) passes.
        ...({ containerName: undefined } as object),
      }),
    ).toBeInstanceOf(AzureBlobXmlRepository);
  });
});

// Its own Azurite, even when AZURITE_CONNECTION_STRING names a shared one: this test kills the emulator.
describeWithService(
  services.azurite({ spawn: true }),
  'AzureBlobXmlRepository when Azurite restarts',
  (azurite) => {
    let container: ContainerClient;
    beforeAll(async () => {
      container = BlobServiceClient.fromConnectionString(azurite().connectionString).getContainerClient(
        'dataprotection',
      );
      await container.createIfNotExists();
    });

    test('Azurite stopped and restarted: a typed error while it is down, the same repository works after', async () => {
      const repository = new AzureBlobXmlRepository({
        connectionString: azurite().connectionString,
        containerName: 'dataprotection',
        blobName: 'restart.xml',
      });
      await repository.storeElement('<key id="00000000-0000-0000-0000-000000000003" version="1"/>', 'k');
      await azurite().kill();
      const started = Date.now();
      await expect(repository.getAllElements()).rejects.toThrow(RepositoryUnavailableError);
      expect(Date.now() - started).toBeLessThan(15_000);
      await azurite().restart();
      // A crash may lose Azurite's last unflushed writes (the blob, even the container); the repository must
      // cope with either, on the same object.
      await container.createIfNotExists();
      await repository.storeElement('<key id="00000000-0000-0000-0000-000000000004" version="1"/>', 'k');
      const elements = await repository.getAllElements();
      expect(elements.some((e) => e.includes('000000000004'))).toBe(true);
      expect(elements.length).toBeLessThanOrEqual(2);
    }, 60_000);
  },
);
