import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { describeCacheConformance, ManualClock } from '@sharedstate/caching-abstractions/testing';

const clock = new ManualClock();

describeCacheConformance('MemoryDistributedCache', {
  createCache: () => new MemoryDistributedCache({ clock }),
  disposeCache: (cache) => (cache as MemoryDistributedCache).dispose(),
  timing: clock.timing(),
  conditionalSet: true,
  diagnostics: { provider: 'MemoryDistributedCache', system: 'memory' },
});
