import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EphemeralXmlRepository, FileSystemXmlRepository } from '@sharedstate/dataprotection-core';
import { describeXmlRepositoryConformance } from '@sharedstate/dataprotection-core/testing';

describeXmlRepositoryConformance('FileSystemXmlRepository', {
  createStorage() {
    const directory = mkdtempSync(join(tmpdir(), 'dp-fs-'));
    return {
      open: () => new FileSystemXmlRepository({ directory: join(directory, 'keys') }),
      cleanup: () => rmSync(directory, { recursive: true, force: true }),
    };
  },
});

describeXmlRepositoryConformance('EphemeralXmlRepository', {
  createStorage() {
    // One in-memory repository is its own storage: every open() returns it.
    const repository = new EphemeralXmlRepository();
    return { open: () => repository };
  },
});
