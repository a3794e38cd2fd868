// pnpm bench concurrent: what concurrentUpdates: 'merge' costs and what it saves, on Express and Redis, each
// server its own process. Requests of different sessions: throughput of the default mode and of 'merge' in
// the same run (interleaved rounds). Overlapping requests of one session: 50 parallel increments of one
// counter, ten trials, with the increments lost and the latency the requests paid, beside the default mode
// and express-session + connect-redis.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CookieJarClient, freePort, LocalRedisServer } from '@sharedstate/testing';

const SERVER = fileURLToPath(new URL('./http/http-server.ts', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CLIENTS = 32;
const TRIALS = 10;
const PARALLEL = 50;
const VARIANTS = {
  'last-write-wins': 'express:sharedstate',
  merge: 'express:sharedstate-merge',
  'express-session + connect-redis': 'express:express-session',
} as const;

async function startServer(variant: string, redisUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=source', SERVER, variant, String(port), redisUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

const write = async (browser: CookieJarClient, url: string) => {
  const response = await browser.send(`${url}/write`, 'POST');
  await response.text();
  if (response.status !== 200) throw new Error(`POST /write answered ${response.status}`);
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? 0;

/** CLIENTS browsers, each with a session of its own, writing as fast as the server answers: writes per second. */
async function differentSessions(url: string): Promise<number> {
  const browsers = Array.from({ length: CLIENTS }, () => new CookieJarClient());
  await Promise.all(browsers.map((browser) => write(browser, url)));
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    browsers.map(async (browser) => {
      while (performance.now() < until) {
        await write(browser, url);
        done++;
      }
    }),
  );
  return done / SECONDS;
}

/** One session, PARALLEL increments at once: how many were lost, the batch's time and each request's. */
async function oneSession(url: string): Promise<{ lost: number; batchMs: number; latencies: number[] }> {
  const browser = new CookieJarClient();
  await write(browser, url);
  const started = performance.now();
  const latencies = await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      const sent = performance.now();
      await write(browser, url);
      return performance.now() - sent;
    }),
  );
  const batchMs = performance.now() - started;
  const count = Number(await (await browser.send(`${url}/read`)).text());
  return { lost: PARALLEL + 1 - count, batchMs, latencies };
}

export async function runConcurrentUpdates(): Promise<string> {
  const redis = await LocalRedisServer.start();
  const servers = new Map<string, { child: ChildProcess; url: string }>();
  try {
    for (const [name, variant] of Object.entries(VARIANTS))
      servers.set(name, await startServer(variant, redis.url));
    const url = (name: string) => servers.get(name)!.url;
    // Warm-up: the JIT and the connections.
    for (const name of servers.keys()) await differentSessions(url(name));

    const throughput = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['last-write-wins', 'merge'] : ['merge', 'last-write-wins'];
      for (const name of order) {
        process.stderr.write(`round ${round + 1}/${ROUNDS} different sessions ${name}\n`);
        throughput.set(name, [...(throughput.get(name) ?? []), await differentSessions(url(name))]);
      }
    }
    const lww = median(throughput.get('last-write-wins')!);
    const merged = median(throughput.get('merge')!);

    const lines = [
      `Express on Redis, server in its own process, client in this one (Node fetch). Different sessions: ${CLIENTS} clients, each with its own session, writing for ${SECONDS} s, median of ${ROUNDS} interleaved rounds.`,
      '',
      '| requests of different sessions | writes/s | vs last-write-wins |',
      '|---|---:|---:|',
      `| last-write-wins (default) | ${Math.round(lww)} | 1.00x |`,
      `| merge | ${Math.round(merged)} | ${(merged / lww).toFixed(2)}x |`,
      '',
      `One session: ${PARALLEL} parallel increments, ${TRIALS} trials.`,
      '',
      '| middleware | increments lost per trial (of 50) | batch ms (median) | request p50 ms | request p99 ms |',
      '|---|---|---:|---:|---:|',
    ];
    for (const name of Object.keys(VARIANTS)) {
      const trials = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        process.stderr.write(`one session ${name} trial ${trial + 1}/${TRIALS}\n`);
        trials.push(await oneSession(url(name)));
      }
      const latencies = trials.flatMap((trial) => trial.latencies);
      lines.push(
        `| ${name} | ${trials.map((trial) => trial.lost).join(', ')} | ${median(trials.map((t) => t.batchMs)).toFixed(0)} | ${percentile(latencies, 0.5).toFixed(1)} | ${percentile(latencies, 0.99).toFixed(1)} |`,
      );
    }
    return lines.join('\n');
  } finally {
    for (const { child } of servers.values()) child.kill();
    await redis.stop();
  }
}
