// pnpm bench memory-sessions: BENCH_SESSIONS (default 1,000,000) requests, each starting a new session,
// through Express on the embedded default memory cache, in chunks; reports the throughput of the first and
// the last chunk (the cache is full and evicting by then) and the server's RSS at the end.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '@sharedstate/testing';
import autocannon from 'autocannon';

const SERVER = fileURLToPath(new URL('./http/memory-session-server.ts', import.meta.url));
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1_000_000);
const CHUNKS = 20;

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

export async function runMemorySessions(): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=source', SERVER, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    const perChunk = Math.ceil(SESSIONS / CHUNKS);
    const rates: number[] = [];
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      const started = performance.now();
      const result = await autocannon({
        url: `${url}/write`,
        method: 'POST',
        connections: 32,
        amount: perChunk,
      });
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`chunk ${chunk}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      rates.push(result.requests.total / ((performance.now() - started) / 1000));
      process.stderr.write(`chunk ${chunk + 1}/${CHUNKS}: ${Math.round(rates.at(-1)!)} req/s\n`);
    }
    const stats = (await (await fetch(`${url}/stats`)).json()) as { count: number; size: number };
    const first = rates[0] ?? 0;
    const last = rates.at(-1) ?? 0;
    return [
      '| sessions made | first chunk req/s | last chunk req/s | last / first | entries held | counted MiB | server RSS MiB |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      `| ${perChunk * CHUNKS} | ${Math.round(first)} | ${Math.round(last)} | ${(last / first).toFixed(2)} | ${stats.count} | ${(stats.size / 2 ** 20).toFixed(1)} | ${rssMiB(child.pid!).toFixed(0)} |`,
    ].join('\n');
  } finally {
    child.kill();
  }
}
