// The tag times a HybridCache holds: bounded with a distributed cache to read them again from, and a
// forgotten time read again (an invalidation is never lost by forgetting).
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { LogThrottle } from '@sharedstate/shared-helpers';
import { TagInvalidations } from '../src/tag-invalidations.ts';

test('per-entity tags do not grow the held times without end; a forgotten invalidation is read again', async () => {
  const l2 = new MemoryDistributedCache();
  const clock = { now: () => 1_000_000 };
  let ticks = 1000n;
  const tags = new TagInvalidations(l2, clock, 30_000, new LogThrottle(undefined), () => ++ticks);
  await tags.store('product:0', 500n);
  tags.invalidate('product:0', 500n);
  for (let index = 1; index <= 60_000; index++) tags.invalidate(`product:${index}`, 10n);
  expect(tags.size).toBeLessThanOrEqual(50_000);
  // product:0 was among the first forgotten: read from the distributed cache again.
  expect(await tags.isInvalidated(400n, ['product:0'])).toBe(true);
  expect(await tags.isInvalidated(600n, ['product:0'])).toBe(false);
  l2.dispose();
});
