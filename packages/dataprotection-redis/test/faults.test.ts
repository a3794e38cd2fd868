import { createDataProtection, RepositoryUnavailableError } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { describeWithService, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';

describeWithService(services.redis({ spawn: true }), 'the key ring’s Redis restarts', (server) => {
  test('the in-memory ring keeps serving, repository calls fail fast and typed, and recover on the same objects', async () => {
    const redis = new Redis(server().url, { maxRetriesPerRequest: 1 });
    const repository = new RedisXmlRepository({ redis, key: 'ring-under-fault', operationTimeout: '2s' });
    const provider = createDataProtection({ logger: false, applicationName: 'shop', repository });
    try {
      const protector = provider.createProtector('p');
      const token = await protector.protect('before the outage');
      await server().kill();
      // No I/O on the hot path: the loaded ring still protects and unprotects.
      expect(await protector.unprotect(token)).toBe('before the outage');
      expect(await protector.unprotect(await protector.protect('during'))).toBe('during');
      const started = Date.now();
      await expect(repository.getAllElements()).rejects.toThrow(RepositoryUnavailableError);
      await expect(repository.storeElement('<x/>', 'x')).rejects.toThrow(/Could not write the key ring/);
      expect(Date.now() - started).toBeLessThan(5_000);
      await server().restart();
      // The list was in memory only (no persistence in tests), so write again and read it back.
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await repository.storeElement('<back/>', 'back');
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      expect(await repository.getAllElements()).toEqual(['<back/>']);
    } finally {
      redis.disconnect();
    }
  }, 60_000);
});
