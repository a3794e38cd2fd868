// pnpm bench key-ring: how long a revocation made by another process (the sharedstate-keys command) takes
// to reach running app instances, per repository, and what an idle change check costs. Two app processes
// (Express, sessions in Redis) per repository; BENCH_CHECK_MS sets their keyRingChangeCheckInterval
// (default 30000, the library's default); BENCH_ROUNDS revocations per repository (default 3).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BlobServiceClient } from '@azure/storage-blob';
import { bytesToGuid } from '@sharedstate/dataprotection-core';
import { cookieOf, startAzurite, startRedis, startRedisCluster, waitUntil } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { startApp, whoami } from '../packages/dataprotection-cli/test/fixtures/app-process.ts';

const CLI = fileURLToPath(new URL('../packages/dataprotection-cli/src/cli.ts', import.meta.url));
const CHECK_MS = Number(process.env.BENCH_CHECK_MS ?? 30_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The id of the key a session cookie (`name=value`) was protected with: payload bytes 4 to 20. */
const protectingKey = (cookie: string) =>
  bytesToGuid(
    Buffer.from(decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1)), 'base64').subarray(4, 20),
  );

/** Milliseconds from the revoke command's exit until each of two instances refuses the old cookie. */
async function revocationDelays(cacheUrl: string, flags: string[]): Promise<number[]> {
  const apps = await Promise.all(['A', 'B'].map((name) => startApp(name, cacheUrl, CHECK_MS, flags)));
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--conditions=source', CLI, ...args, ...flags]);
  const delays: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const cookie = cookieOf(await fetch(`${apps[0]!.url}/login`, { method: 'POST' }))!;
      for (const { url } of apps) {
        await waitUntil(
          async () => (await whoami(url, cookie)).user === 'ada',
          'the session on every instance',
        );
      }
      await cli('revoke', protectingKey(cookie));
      // From the moment the command has written the revocation and exited.
      const started = performance.now();
      delays.push(
        ...(await Promise.all(
          apps.map(async ({ url }) => {
            await waitUntil(async () => (await whoami(url, cookie)).user === null, 'the refusal', {
              timeoutMs: CHECK_MS * 2 + 30_000,
              intervalMs: 20,
            });
            return performance.now() - started;
          }),
        )),
      );
    }
  } finally {
    await Promise.all(apps.map(({ process }) => process.stop()));
  }
  return delays;
}

/** Redis commands of each kind the key ring sent while two instances sat idle for five intervals. */
async function idleCommands(redisUrl: string, flags: string[]): Promise<string> {
  const apps = await Promise.all(['A', 'B'].map((name) => startApp(name, redisUrl, CHECK_MS, flags)));
  const redis = new Redis(redisUrl);
  const calls = async () => {
    const stats = await redis.info('commandstats');
    const count = (command: string) =>
      Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return { llen: count('llen'), lrange: count('lrange') };
  };
  try {
    await new Promise((resolve) => setTimeout(resolve, CHECK_MS / 2));
    const before = await calls();
    await new Promise((resolve) => setTimeout(resolve, CHECK_MS * 5));
    const after = await calls();
    const perInterval = (n: number) => (n / 5 / apps.length).toFixed(2);
    return `${perInterval(after.llen - before.llen)} LLEN and ${perInterval(after.lrange - before.lrange)} LRANGE per instance per interval`;
  } finally {
    redis.disconnect();
    await Promise.all(apps.map(({ process }) => process.stop()));
  }
}

export async function runKeyRingPropagation(): Promise<string> {
  const redis = await startRedis({ spawn: true });
  const cluster = await startRedisCluster();
  const azurite = await startAzurite({ spawn: true });
  const dir = mkdtempSync(join(tmpdir(), 'bench-keys-'));
  const container = `bench-keys-${Date.now()}`;
  await BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient(container)
    .create();
  const ringKey = `bench-keys-${Date.now()}`;
  const nodes = cluster.startupNodes.map(({ host, port }) => `redis://${host}:${port}`).join(',');
  const repositories: [string, string[]][] = [
    ['file system', ['--dir', dir]],
    ['Redis', ['--redis', redis.url, '--redis-key', ringKey]],
    ['Redis Cluster', ['--redis-cluster', nodes, '--redis-key', ringKey]],
    [
      'Azure Blob (Azurite)',
      ['--azure-connection-string', azurite.connectionString, '--azure-container', container],
    ],
  ];
  const lines = [
    `keyRingChangeCheckInterval ${CHECK_MS} ms, ${ROUNDS} revocations, two instances each`,
    '',
    '| repository | revoke command done to refusal, each instance (ms) | median | max |',
    '|---|---|---:|---:|',
  ];
  try {
    for (const [name, flags] of repositories) {
      process.stderr.write(`key ring: ${name}...\n`);
      const delays = await revocationDelays(redis.url, flags);
      const sorted = [...delays].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      lines.push(
        `| ${name} | ${delays.map((ms) => Math.round(ms)).join(', ')} | ${Math.round(median)} | ${Math.round(sorted.at(-1)!)} |`,
      );
    }
    process.stderr.write('key ring: idle Redis...\n');
    lines.push(
      '',
      `Idle, Redis: ${await idleCommands(redis.url, ['--redis', redis.url, '--redis-key', ringKey])}.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([redis.stop(), cluster.stop(), azurite.stop()]);
  }
  return lines.join('\n');
}
