// Eight instances start at the same moment on an empty shared key directory, as a scaled-out deployment
// does: every one must end able to read what every other protected.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataProtection, FileSystemXmlRepository } from '@sharedstate/dataprotection-core';

test('8 providers started concurrently on one empty repository read each other’s payloads', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'dp-multi-'));
  try {
    const providers = Array.from({ length: 8 }, () =>
      createDataProtection({
        applicationName: 'shop',
        repository: new FileSystemXmlRepository({ directory }),
      }),
    );
    const protectors = providers.map((provider) => provider.createProtector('cross-instance'));
    const tokens = await Promise.all(
      protectors.map((protector, i) => protector.protect(`from instance ${i}`)),
    );
    for (const protector of protectors) {
      for (const [writer, token] of tokens.entries()) {
        await expect(protector.unprotect(token)).resolves.toBe(`from instance ${writer}`);
      }
    }
    // Racing instances may each create a key; that is allowed, losing one is not.
    const keyFiles = readdirSync(directory).filter((name) => name.endsWith('.xml'));
    expect(keyFiles.length).toBeGreaterThanOrEqual(1);
    expect(keyFiles.length).toBeLessThanOrEqual(8);
    expect(readdirSync(directory).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
