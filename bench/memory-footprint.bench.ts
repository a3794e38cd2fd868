// pnpm bench memory-size: how close MemoryDistributedCache's counted size (what sizeLimit bounds) is to the
// heap its entries really take, for session-sized values; the heap is measured after a full collection.
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const ENTRIES = 100_000;

/** Heap (JS objects and ArrayBuffer memory) in bytes, after a full collection. */
function heapBytes(): number {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

export async function runMemoryFootprint(): Promise<string> {
  const lines = [
    '| value bytes | entries | counted MiB | heap MiB | heap / counted |',
    '|---:|---:|---:|---:|---:|',
  ];
  for (const valueBytes of [20, 200, 1_000, 4_000]) {
    const before = heapBytes();
    const cache = new MemoryDistributedCache({ sizeLimit: Number.POSITIVE_INFINITY });
    for (let i = 0; i < ENTRIES; i++) {
      // Each session's value is its own array, as a serialized session is.
      await cache.set(randomUUID(), new Uint8Array(valueBytes).fill(i), { slidingExpiration: '20m' });
    }
    const used = heapBytes() - before;
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    lines.push(
      `| ${valueBytes} | ${ENTRIES} | ${mib(cache.size)} | ${mib(used)} | ${(used / cache.size).toFixed(2)} |`,
    );
    cache.dispose();
  }
  return lines.join('\n');
}
