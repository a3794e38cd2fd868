// pnpm bench hybrid: HybridCache beside bentocache and cache-manager (each as a fresh install sets it up:
// memory in front of the same Redis), in one run: a local hit, a distributed hit beside a raw Redis GET,
// 1,000 concurrent callers of a cold key, and the time an invalidation takes to reach another process.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import KeyvRedis from '@keyv/redis';
import { HybridCache, HybridCacheEntryFlags } from '@sharedstate/caching-hybrid';
import { RedisCache, RedisInvalidationBus } from '@sharedstate/caching-redis';
import { LocalRedisServer } from '@sharedstate/testing';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Redis as Redis5 } from 'ioredis';
import { Redis } from 'ioredis6';
import { Keyv } from 'keyv';
import { Bench } from 'tinybench';
import { pinServerAwayFromClient } from './pin-server.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const VALUE = {
  id: 42,
  name: 'Earl Grey',
  price: 3.5,
  tags: ['tea', 'black'],
  stock: { warehouse: 'A', count: 120 },
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? 0;

/** Runs the tasks in one bench per round, in a rotating order; the median of each statistic over rounds. */
async function interleaved(
  tasks: Record<string, () => unknown>,
  pick: (result: { throughput: { mean: number }; latency: { p50: number } }) => number,
  timeMs = 600,
): Promise<Record<string, number>> {
  const names = Object.keys(tasks);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: timeMs, warmupTime: 150 });
    for (let index = 0; index < names.length; index++) {
      const name = names[(index + round) % names.length]!;
      bench.add(name, tasks[name]!);
    }
    await bench.run();
    for (const name of names) {
      const result = bench.getTask(name)?.result as
        | { throughput: { mean: number }; latency: { p50: number } }
        | undefined;
      if (result) samples[name]!.push(pick(result));
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples[name]!)]));
}

export async function runHybrid(): Promise<string> {
  const server = await LocalRedisServer.start({ spawn: true });
  pinServerAwayFromClient(server.pid);
  const ours = new Redis(server.url);
  const raw = new Redis(server.url);
  const bentoRedis = new Redis5(server.url);
  const closers: (() => Promise<unknown> | unknown)[] = [];
  try {
    const hybrid = new HybridCache({
      distributedCache: new RedisCache({ redis: ours }),
      invalidationBus: new RedisInvalidationBus({ redis: ours }),
      logger: false,
    });
    await hybrid.ready();
    closers.push(() => hybrid.dispose());
    const bento = new BentoCache({
      default: 'tiered',
      stores: {
        tiered: bentostore()
          .useL1Layer(memoryDriver({ maxSize: '100mb' }))
          .useL2Layer(redisDriver({ connection: bentoRedis }))
          .useBus(
            redisBusDriver({ connection: { host: '127.0.0.1', port: Number(new URL(server.url).port) } }),
          ),
        distributedOnly: bentostore().useL2Layer(redisDriver({ connection: bentoRedis })),
      },
    });
    closers.push(() => bento.disconnectAll());
    const managerRedis = new KeyvRedis(server.url);
    const manager = createCache({ stores: [new Keyv(), new Keyv({ store: managerRedis })] });
    const managerL2 = createCache({ stores: [new Keyv({ store: new KeyvRedis(server.url) })] });
    closers.push(
      () => manager.disconnect(),
      () => managerL2.disconnect(),
    );

    const factory = async () => VALUE;
    // Warm: every library holds 'hot' in memory and in Redis.
    await hybrid.getOrCreate('hot', factory);
    await bento.getOrSet({ key: 'hot', factory });
    await manager.wrap('hot', factory, 60_000);
    await raw.set('raw-hot', JSON.stringify(VALUE));
    await bento.use('distributedOnly').getOrSet({ key: 'hot-l2', factory });
    await managerL2.wrap('hot-l2', factory, 60_000);

    process.stderr.write('local hits...\n');
    const local = await interleaved(
      {
        HybridCache: () => hybrid.getOrCreate('hot', factory),
        bentocache: () => bento.getOrSet({ key: 'hot', factory }),
        'cache-manager': () => manager.wrap('hot', factory, 60_000),
      },
      (result) => result.throughput.mean,
    );

    process.stderr.write('distributed hits...\n');
    // The L2 HybridCache reads through, on a client of its own: its share of a distributed hit.
    const l2Client = new Redis(server.url);
    closers.push(() => l2Client.disconnect());
    const l2 = new RedisCache({ redis: l2Client });
    const l2Flags = { flags: HybridCacheEntryFlags.DisableLocalCache };
    const distributed = await interleaved(
      {
        'raw Redis GET (ioredis 6)': () => raw.get('raw-hot'),
        'RedisCache.get (the L2 alone)': () => l2.get('hot'),
        HybridCache: () => hybrid.getOrCreate('hot', factory, l2Flags),
        'bentocache (L2 only)': () => bento.use('distributedOnly').getOrSet({ key: 'hot-l2', factory }),
        'cache-manager (Redis only)': () => managerL2.wrap('hot-l2', factory, 60_000),
      },
      (result) => result.latency.p50 * 1000,
    );

    process.stderr.write('stampede...\n');
    const stampede: Record<string, number[]> = { HybridCache: [], bentocache: [], 'cache-manager': [] };
    for (let trial = 0; trial < ROUNDS; trial++) {
      const runs: Record<string, (key: string, made: () => Promise<unknown>) => Promise<unknown>> = {
        HybridCache: (key, made) => hybrid.getOrCreate(key, made),
        bentocache: (key, made) => bento.getOrSet({ key, factory: made }),
        'cache-manager': (key, made) => manager.wrap(key, made, 60_000),
      };
      for (const [name, call] of Object.entries(runs)) {
        let calls = 0;
        const made = async () => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return VALUE;
        };
        await Promise.all(Array.from({ length: 1000 }, () => call(`cold:${name}:${trial}`, made)));
        stampede[name]!.push(calls);
      }
    }

    process.stderr.write('invalidation across processes...\n');
    const latencies = await invalidationLatencies(hybrid, server.url);

    const ratio = (value: number, best: number) => `${(value / best).toFixed(2)}x`;
    const fastestPeer = Math.max(local.bentocache!, local['cache-manager']!);
    const rtt = distributed['raw Redis GET (ioredis 6)']!;
    const l2Get = distributed['RedisCache.get (the L2 alone)']!;
    const lines = [
      `Node ${process.version}, redis-server on its own core, ${ROUNDS} interleaved rounds (medians); values: one small JSON object.`,
      '',
      '| measure | HybridCache | bentocache | cache-manager | target |',
      '| --- | ---: | ---: | ---: | --- |',
      `| local hit, ops/s | ${Math.round(local.HybridCache!)} | ${Math.round(local.bentocache!)} | ${Math.round(local['cache-manager']!)} | within 1.2x of the fastest peer: ${ratio(fastestPeer, local.HybridCache!)} of it, ${local.HybridCache! * 1.2 >= fastestPeer ? 'met' : 'missed'} |`,
      `| distributed hit, µs (p50; raw GET ${rtt.toFixed(1)} µs, RedisCache.get ${l2Get.toFixed(1)} µs) | ${distributed.HybridCache!.toFixed(1)} | ${distributed['bentocache (L2 only)']!.toFixed(1)} | ${distributed['cache-manager (Redis only)']!.toFixed(1)} | within the round trip + 10%: ${ratio(distributed.HybridCache!, rtt)} of a raw GET (${distributed.HybridCache! <= rtt * 1.1 ? 'met' : 'missed'}), ${ratio(distributed.HybridCache!, l2Get)} of its L2's get (${distributed.HybridCache! <= l2Get * 1.1 ? 'met' : 'missed'}) |`,
      `| factory calls, 1,000 callers of a cold key (per trial) | ${stampede.HybridCache!.join(', ')} | ${stampede.bentocache!.join(', ')} | ${stampede['cache-manager']!.join(', ')} | 1: ${stampede.HybridCache!.every((calls) => calls === 1) ? 'met' : 'missed'} |`,
      `| invalidation reaching another process over the bus, ms (p50 / p95 of ${latencies.length}) | ${median(latencies).toFixed(2)} / ${percentile(latencies, 0.95).toFixed(2)} | | | milliseconds |`,
    ];
    return lines.join('\n');
  } finally {
    for (const close of closers) await close();
    ours.disconnect();
    raw.disconnect();
    bentoRedis.disconnect();
    await server.stop();
  }
}

/** A set here, until another process's HybridCache has handled the bus message: 50 times. */
async function invalidationLatencies(hybrid: HybridCache, url: string): Promise<number[]> {
  const child = fork(fileURLToPath(new URL('./hybrid/bus-listener.ts', import.meta.url)), [url], {
    execArgv: ['--conditions=source'],
  });
  try {
    const messages: { handledAt?: number; ready?: boolean }[] = [];
    let wake: (() => void) | undefined;
    child.on('message', (message: { handledAt?: number; ready?: boolean }) => {
      messages.push(message);
      wake?.();
    });
    const next = async () => {
      while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return messages.shift()!;
    };
    await next();
    const latencies: number[] = [];
    for (let round = 0; round < 50; round++) {
      const sentAt = performance.timeOrigin + performance.now();
      await hybrid.set('invalidated', { round });
      const { handledAt } = await next();
      latencies.push(handledAt! - sentAt);
    }
    return latencies;
  } finally {
    child.disconnect();
    child.kill();
  }
}
