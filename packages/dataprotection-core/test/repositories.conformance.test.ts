import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EphemeralXmlRepository, FileSystemXmlRepository } from '@sharedstate/dataprotection-core';
import { describeXmlRepositoryConformance } from '@sharedstate/dataprotection-core/testing';

describeXmlRepositoryConformance('FileSystemXmlRepository', {
  createStorage() {
    const directory = mkdtempSync(join(tmpdir(), 'dp-fs-'));
    return {
      open: () => new FileSystemXmlRepository({ directory: join(directory, 'keys') }),
      // Files are ordered by modification time: date it after every file so far and before any later one.
      async storeDamaged(text) {
        const keys = join(directory, 'keys');
        const at = (ago: number) => new Date(Date.now() - ago);
        for (const name of readdirSync(keys)) utimesSync(join(keys, name), at(2_000), at(2_000));
        writeFileSync(join(keys, 'damaged.xml'), text);
        utimesSync(join(keys, 'damaged.xml'), at(1_000), at(1_000));
      },
      cleanup: () => rmSync(directory, { recursive: true, force: true }),
    };
  },
});

describeXmlRepositoryConformance('EphemeralXmlRepository', {
  createStorage() {
    // One in-memory repository is its own storage: every open() returns it.
    const repository = new EphemeralXmlRepository();
    return { open: () => repository, storeDamaged: (text) => repository.storeElement(text, 'damaged') };
  },
});
