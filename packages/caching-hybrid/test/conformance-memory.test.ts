// The HybridCache suite on the embedded memory cache as L2 (one object shared by both instances), no bus.
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { describeHybridCacheConformance } from '@sharedstate/caching-hybrid/testing';

const shared = new MemoryDistributedCache();
afterAll(() => shared.dispose());

describeHybridCacheConformance('HybridCache on MemoryDistributedCache', {
  createInstance: () => ({ distributedCache: shared }),
});
