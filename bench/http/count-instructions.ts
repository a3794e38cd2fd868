// Instructions per request of one benchmark server, counted by valgrind's callgrind (apt install valgrind):
//   node --conditions=source bench/http/count-instructions.ts <variant> [runs=3] [requests=15000] [read|write]
// e.g. express:get and express:sharedstate. A read is GET /read with the variant's cookie (or a stand-in of
// the same size for a variant without a session; with BENCH_OTHER_COOKIES=1 among eight others); a write is
// POST /write with it, which changes the session and saves it. Unlike
// CPU time, the count does not move with whatever else the machine is doing, so two builds can be compared a
// few thousand instructions apart (a larger garbage collection landing in the counted window moves it by
// several thousand too: count more requests, or several runs).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, LocalRedisServer } from '@sharedstate/testing';
import autocannon from 'autocannon';
import { cookieHeader, sessionCookie } from './request-cookies.ts';
import { serverNodeArguments } from './server-command.ts';

const [variant, runs = '3', requests = '15000', request = 'read'] = process.argv.slice(2);
if (variant === undefined || (request !== 'read' && request !== 'write')) {
  console.error(
    'usage: count-instructions.ts <variant, e.g. express:sharedstate> [runs] [requests] [read|write]',
  );
  process.exit(2);
}
/** Enough for the optimizing compiler to have done most of its work before counting starts. */
const WARM_UP_REQUESTS = 20_000;
/**
 * The optimizing compilers' own functions: their work lands on background threads at times that vary from
 * run to run, so they are counted apart. Garbage collection is counted in, and shown apart.
 */
const COMPILER =
  /compiler::|maglev::|turboshaft::|Compiler|Compile|RegisterAllocat|LiveRange|InstructionSelector|CodeGenerator|Assembler/;
const GC = /Scaveng|heap::|Heap::|MarkCompact|Marking|Sweep|Evacuat|MemoryAllocator|PagedSpace|NewSpace/;

interface Count {
  total: number;
  compiler: number;
  gc: number;
}

/** Sums a callgrind output file by function (callgrind_annotate), per request. */
function countsOf(file: string, requestCount: number): Count {
  const report = execFileSync('callgrind_annotate', ['--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const count: Count = { total: 0, compiler: 0, gc: 0 };
  for (const line of report.split('\n')) {
    const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!match) continue;
    const instructions = Number(match[1]!.replaceAll(',', ''));
    const name = match[2]!;
    if (name.includes('PROGRAM TOTALS')) count.total = instructions;
    else if (COMPILER.test(name)) count.compiler += instructions;
    else if (GC.test(name)) count.gc += instructions;
  }
  return {
    total: count.total / requestCount,
    compiler: count.compiler / requestCount,
    gc: count.gc / requestCount,
  };
}

async function started(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
}

async function countOnce(redisUrl: string, dir: string, run: number): Promise<Count> {
  const port = await freePort();
  const out = join(dir, `run-${run}.out`);
  // Counting switched off until the warm-up is over (callgrind_control -i on), then dumped (-d).
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${out}`,
      process.execPath,
      ...serverNodeArguments(variant!),
      variant!,
      String(port),
      redisUrl,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  try {
    await started(child);
    const url = `http://127.0.0.1:${port}`;
    const options = {
      url: `${url}/${request}`,
      method: request === 'write' ? ('POST' as const) : ('GET' as const),
      headers: { cookie: cookieHeader(await sessionCookie(url)) },
      connections: 32,
    };
    await autocannon({ ...options, amount: WARM_UP_REQUESTS });
    execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
    const result = await autocannon({ ...options, amount: Number(requests) });
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${variant}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    // The dump requested above is the file's first part (.1); the rest is the server's shutdown.
    return countsOf(`${out}.1`, result.requests.total);
  } finally {
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const redis = await LocalRedisServer.start();
const dir = mkdtempSync(join(tmpdir(), 'sharedstate-callgrind-'));
try {
  console.log(
    `${variant}: instructions per ${request} request (${requests} counted after ${WARM_UP_REQUESTS})`,
  );
  console.log('| run | total | compilers | garbage collection | total without compilers |');
  console.log('|---|---:|---:|---:|---:|');
  for (let run = 1; run <= Number(runs); run++) {
    const c = await countOnce(redis.url, dir, run);
    const f = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(`| ${run} | ${f(c.total)} | ${f(c.compiler)} | ${f(c.gc)} | ${f(c.total - c.compiler)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await redis.stop();
}
