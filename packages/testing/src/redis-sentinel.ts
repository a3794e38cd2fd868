import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './executable.ts';
import { freePort } from './free-port.ts';
import { ManagedProcess } from './managed-process.ts';
import { redisCli } from './redis-cli.ts';
import { LocalRedisServer, type RedisEndpoint } from './redis-server.ts';
import { ServiceUnavailableError } from './service-unavailable.ts';
import { waitUntil } from './wait-until.ts';

/** A master, a replica and a Sentinel watching them, all on loopback. */
export interface RedisSentinelSetup {
  readonly masterName: string;
  readonly sentinels: readonly RedisEndpoint[];
  readonly master: LocalRedisServer;
  readonly replica: LocalRedisServer;
  stop(): Promise<void>;
}

export function redisSentinelAvailability(): string | undefined {
  return findExecutable('redis-server') === undefined || findExecutable('redis-cli') === undefined
    ? 'Redis Sentinel is not available: install redis-server (apt-get install -y redis-server)'
    : undefined;
}

export async function startRedisSentinel(options: { masterName?: string } = {}): Promise<RedisSentinelSetup> {
  const unavailable = redisSentinelAvailability();
  if (unavailable) throw new ServiceUnavailableError(unavailable);
  const masterName = options.masterName ?? 'sharedstate';
  const master = await LocalRedisServer.start();
  const replica = await LocalRedisServer.start({ args: ['--replicaof', master.host, String(master.port)] });
  const dir = mkdtempSync(join(tmpdir(), 'sharedstate-sentinel-'));
  const port = await freePort();
  // Sentinel rewrites its configuration file, so it must live in a writable directory of its own.
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode no',
      `dir ${dir}`,
      `sentinel monitor ${masterName} ${master.host} ${master.port} 1`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      '',
    ].join('\n'),
  );
  const sentinel = new ManagedProcess(findExecutable('redis-server')!, [config, '--sentinel'], {
    description: `redis sentinel on port ${port}`,
    cleanupDirs: [dir],
  });
  const stop = async () => {
    await sentinel.stop();
    await Promise.all([master.stop(), replica.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(async () => {
      if (sentinel.hasExited) throw new Error(`sentinel exited: ${sentinel.output.trim()}`);
      const address = await redisCli(port, ['sentinel', 'get-master-addr-by-name', masterName]);
      return address.includes(String(master.port));
    }, 'Sentinel to report its master');
    await waitUntil(
      async () => (await redisCli(replica.port, ['info', 'replication'])).includes('master_link_status:up'),
      'the replica to finish its first sync with the master',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { masterName, sentinels: [{ host: '127.0.0.1', port }], master, replica, stop };
}
