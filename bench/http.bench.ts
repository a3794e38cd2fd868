// pnpm bench http: the session middlewares (Express, Koa, Hono, Fastify) under HTTP load (autocannon, loopback,
// bounded), ours on each Redis client the packages accept (ioredis 6, as a fresh install gives it; ioredis 5;
// node-redis) beside each framework's usual session package on the client it uses (express-session and
// @fastify/session on connect-redis with node-redis, koa-session on koa-redis) and the framework bare, with one
// Redis GET per request (the read floor) and with a GET and, on a write, a SET (the write floor); on
// PostgreSQL, Express with sharedstate and with express-session + connect-pg-simple beside one SELECT by
// primary key (and an upsert on a write). Interleaved, medians of rounds.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { freePort, LocalPostgresServer, LocalRedisServer } from '@sharedstate/testing';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { cookieHeader, OTHER_COOKIES, sessionCookie } from './http/request-cookies.ts';
import { OUR_KINDS, serverNodeArguments } from './http/server-command.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = 32;
/**
 * BENCH_RATE=N holds the load at N requests per second (autocannon's overallRate) instead of as many as the
 * server answers: every variant then does the same work per second, and none batches more than another
 * because it is saturated. Pick a rate every variant sustains. (Measured at 5,000 per second, CPU per request
 * moved more between runs than saturated, not less: docs/performance.md.)
 */
const RATE = process.env.BENCH_RATE === undefined ? undefined : Number(process.env.BENCH_RATE);
if (RATE !== undefined && !(RATE > 0))
  throw new Error(
    `BENCH_RATE must be a positive number of requests per second; got '${process.env.BENCH_RATE}'.`,
  );

/** Ours on each client: ioredis 6 as the packages' peer, ioredis 5, node-redis. */
const ON_EVERY_CLIENT = ['sharedstate@ioredis6', 'sharedstate@ioredis5', 'sharedstate@node-redis'];
const VARIANTS = [
  'express:bare',
  'express:get',
  'express:get-set',
  ...ON_EVERY_CLIENT.map((kind) => `express:${kind}`),
  'express:sharedstate-otel@ioredis6',
  'express:properties',
  'express:express-session',
  'koa:bare',
  'koa:get',
  'koa:get-set',
  ...ON_EVERY_CLIENT.map((kind) => `koa:${kind}`),
  'koa:koa-session',
  'hono:bare',
  'hono:get',
  'hono:get-set',
  ...ON_EVERY_CLIENT.map((kind) => `hono:${kind}`),
  'fastify:bare',
  'fastify:get',
  'fastify:get-set',
  ...ON_EVERY_CLIENT.map((kind) => `fastify:${kind}`),
  'fastify:fastify-session',
  'express:pg-get',
  'express:pg-get-set',
  'express:sharedstate-pg',
  'express:connect-pg-simple',
];
const SCENARIOS = ['read', 'write'] as const;
/** BENCH_VARIANTS=koa:bare,koa:get,... runs a subset (for investigations); the default is all of the above. */
const SELECTED = process.env.BENCH_VARIANTS?.split(',') ?? VARIANTS;
/** BENCH_SCENARIOS=write runs one scenario; the default is both. */
const SELECTED_SCENARIOS = SCENARIOS.filter((scenario) =>
  (process.env.BENCH_SCENARIOS?.split(',') ?? SCENARIOS).includes(scenario),
);

/** utime + stime of a process in microseconds, from /proc (Linux). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After the command name: field 14 (utime) and 15 (stime) are at index 11 and 12; clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface Measurement {
  reqPerSec: number;
  p50: number;
  p99: number;
  cpuPerReq: number;
  /** Round trips to the store per request: Redis commands, or SQL statements. */
  storePerReq: number;
  /** The store's own CPU per request (redis-server, or PostgreSQL's backends): a script costs more than a GET. */
  storeCpuPerReq: number;
}

/** Each framework's usual session package, which ours is compared with (Hono has none). */
const PEERS: Record<string, string> = {
  express: 'express:express-session',
  koa: 'koa:koa-session',
  fastify: 'fastify:fastify-session',
};

/** The store a variant uses: PostgreSQL for the pg kinds, Redis for the others (bare uses neither). */
const onPostgres = (variant: string) => /:(pg-|sharedstate-pg|connect-pg-simple)/.test(variant);

/** The two stores the variants run on, and how each counts round trips and its own CPU. */
interface Stores {
  redisUrl: string;
  postgresUrl: string | undefined;
  redis: Redis;
  redisPid: number;
  postgresPid: number | undefined;
}

/** CPU of the PostgreSQL server: the postmaster's children (the pool's backends stay for the whole run). */
function postgresCpuMicros(postmaster: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {
      // the process ended while the list was read
    }
  }
  return total;
}

const statementsSent = async (url: string) =>
  ((await (await fetch(`${url}/_statements`)).json()) as { statements: number }).statements;

async function startServer(variant: string, stores: Stores): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const args = [variant, String(port), stores.redisUrl, ...(stores.postgresUrl ? [stores.postgresUrl] : [])];
  const child = spawn(process.execPath, [...serverNodeArguments(variant), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function measure(
  variant: string,
  scenario: (typeof SCENARIOS)[number],
  stores: Stores,
): Promise<Measurement> {
  const { child, url } = await startServer(variant, stores);
  const postgres = onPostgres(variant);
  const storeCounter = () => (postgres ? statementsSent(url) : commandsProcessed(stores.redis));
  const storeCpu = () => (postgres ? postgresCpuMicros(stores.postgresPid!) : cpuMicros(stores.redisPid));
  try {
    // The variant's own session cookie, or for one without a session a stand-in of the same size.
    const headers = { cookie: cookieHeader(await sessionCookie(url)) };
    const options = {
      url: `${url}/${scenario}`,
      method: scenario === 'read' ? 'GET' : 'POST',
      headers,
      connections: CONNECTIONS,
      ...(RATE === undefined ? {} : { overallRate: RATE }),
    } as const;
    // Warm up the JIT and the connections, flat out even when the run is held at a rate: the optimizing
    // compiler should be done before the measured run starts.
    await autocannon({ ...options, overallRate: undefined, duration: 1 });
    const roundTripsBefore = await storeCounter();
    const cpuBefore = cpuMicros(child.pid!);
    const storeCpuBefore = storeCpu();
    const result = await autocannon({ ...options, duration: DURATION_S });
    const cpu = cpuMicros(child.pid!) - cpuBefore;
    const storeCpuUsed = storeCpu() - storeCpuBefore;
    // Redis counts the INFO command that read its counter; the statement counter reads nothing.
    const roundTrips = (await storeCounter()) - roundTripsBefore - (postgres ? 0 : 1);
    const requests = result.requests.total;
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${variant} ${scenario}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return {
      reqPerSec: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuPerReq: cpu / requests,
      storePerReq: roundTrips / requests,
      storeCpuPerReq: storeCpuUsed / requests,
    };
  } finally {
    child.kill();
  }
}

/**
 * Round trips clients made, from the server's own counters: Redis counts the commands a script runs, and
 * those a MULTI queues, as well. Our set is HSET with PEXPIRE (or PERSIST), in a transaction or pipelined,
 * one round trip either way, counted as its HSET: MULTI, EXEC, PEXPIRE and PERSIST are subtracted (no
 * variant sends them otherwise), and HMGET (only the get script runs it).
 */
async function commandsProcessed(redis: Redis): Promise<number> {
  const total = Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? 0);
  const stats = await redis.info('commandstats');
  const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  const notRoundTrips = ['hmget', 'pexpire', 'persist', 'multi', 'exec'];
  return notRoundTrips.reduce((left, name) => left - calls(name), total);
}

// CPU to a tenth of a microsecond: on a fast machine a bare framework costs 9-16 µs per request, so whole
// microseconds hid differences the runs resolve (10 ms clock ticks over 3 s of 30,000+ requests a second).
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
/** The variants without a session (the framework alone and the floors), as against a session middleware. */
const withoutSession = (kind: string | undefined) =>
  kind === 'bare' || kind === 'get' || kind === 'get-set' || kind === 'pg-get' || kind === 'pg-get-set';
/** A variant's floor for a scenario: the least its store's sessions cost (one read; a read and a write). */
const floorOf = (variant: string, scenario: string) => {
  const [framework] = variant.split(':');
  const pg = onPostgres(variant) ? 'pg-' : '';
  return `${framework}:${pg}${scenario === 'read' ? 'get' : 'get-set'}`;
};

/**
 * How far each round's order turns: the whole list's variants spread over the rounds (3 places for the 15
 * variants in 5 rounds), and at least one place, so that a short list (BENCH_VARIANTS) turns too. A fixed
 * 3 left a list of three in the same order every round, the first variant always first, and turned a list
 * of six between two orders only.
 */
const ROTATION = Math.max(1, Math.floor(SELECTED.length / ROUNDS));

export async function runHttp(): Promise<string> {
  const server = await LocalRedisServer.start();
  const postgresServer = SELECTED.some(onPostgres) ? await LocalPostgresServer.start() : undefined;
  const redis = new Redis(server.url);
  const stores: Stores = {
    redisUrl: server.url,
    postgresUrl: postgresServer?.url,
    redis,
    redisPid: server.pid!,
    postgresPid: postgresServer?.pid,
  };
  const samples = new Map<string, Measurement[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved: every variant once per round, in a rotated order, so drift hits all of them alike.
      const order = SELECTED.map((_, i) => SELECTED[(i + round * ROTATION) % SELECTED.length]!);
      for (const scenario of SELECTED_SCENARIOS) {
        for (const variant of order) {
          if (variant.endsWith(':bare') && scenario === 'write') continue;
          // Without a write, get-set is get.
          if (variant.endsWith('get-set') && scenario === 'read') continue;
          process.stderr.write(`round ${round + 1}/${ROUNDS} ${scenario} ${variant}\n`);
          const key = `${variant}|${scenario}`;
          samples.set(key, [...(samples.get(key) ?? []), await measure(variant, scenario, stores)]);
        }
      }
    }
  } finally {
    redis.disconnect();
    await server.stop();
    await postgresServer?.stop();
  }
  const pick = (key: string, field: keyof Measurement) =>
    median((samples.get(key) ?? []).map((m) => m[field]));
  const load =
    RATE === undefined
      ? `${CONNECTIONS} connections, as many requests as the server answers`
      : `${CONNECTIONS} connections held at ${RATE} requests per second`;
  const lines = [
    `HTTP, ${load}${OTHER_COOKIES.length > 0 ? `, ${OTHER_COOKIES.length} other cookies per request` : ''}, ${DURATION_S} s per run, median of ${ROUNDS} interleaved rounds; CPU = server process utime+stime per request.`,
    '',
    '| framework | scenario | middleware | req/s | p50 ms | p99 ms | CPU µs/req | CPU over bare | CPU over floor | store round trips/req | store CPU µs/req | req/s vs floor | req/s vs peer | store CPU vs peer |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let fellShort = false;
  for (const scenario of SCENARIOS) {
    for (const variant of SELECTED) {
      const key = `${variant}|${scenario}`;
      if (!samples.has(key)) continue;
      const [framework, kind] = variant.split(':');
      const bareCpu = pick(`${framework}:bare|read`, 'cpuPerReq');
      // The least any session on the variant's store costs: one read, or a read and a write.
      const floorKey = `${floorOf(variant, scenario)}|${scenario}`;
      const floor = pick(floorKey, 'reqPerSec');
      const floorCpu = samples.has(floorKey) ? pick(floorKey, 'cpuPerReq') : undefined;
      const isFloor = withoutSession(kind);
      // Held at a rate, a variant that answered fewer requests than asked was saturated: its CPU per
      // request is not comparable with the others'.
      const short = RATE !== undefined && pick(key, 'reqPerSec') < RATE * 0.97;
      fellShort ||= short;
      // Held at a rate, every variant's req/s is the rate: the ratio says nothing.
      const ratio =
        kind === 'bare' || !floor || RATE !== undefined
          ? ''
          : `${(pick(key, 'reqPerSec') / floor).toFixed(2)}x`;
      const peer = againstPeer(variant, scenario, pick);
      lines.push(
        `| ${framework} | ${scenario} | ${kind} | ${Math.round(pick(key, 'reqPerSec'))}${short ? ' (short)' : ''} | ${pick(key, 'p50').toFixed(1)} | ${pick(key, 'p99').toFixed(1)} | ${pick(key, 'cpuPerReq').toFixed(1)} | ${kind === 'bare' ? '' : signed(pick(key, 'cpuPerReq') - bareCpu)} | ${isFloor || floorCpu === undefined ? '' : signed(pick(key, 'cpuPerReq') - floorCpu)} | ${pick(key, 'storePerReq').toFixed(2)} | ${pick(key, 'storeCpuPerReq').toFixed(1)} | ${ratio} | ${peer && RATE === undefined ? `${peer.reqPerSec.toFixed(2)}x` : ''} | ${peer ? `${peer.storeCpu.toFixed(2)}x` : ''} |`,
      );
    }
  }
  if (fellShort)
    lines.push('', `(short): answered under 97% of the ${RATE} requests per second asked; lower BENCH_RATE.`);
  if (RATE === undefined) lines.push(...perRoundRatios(samples));
  lines.push(...targetsMet(pick));
  return lines.join('\n');
}

type Pick = (key: string, field: keyof Measurement) => number;

/** One of our variants against its framework's usual session package in the same run: ratios of medians. */
function againstPeer(
  variant: string,
  scenario: string,
  pick: Pick,
): { reqPerSec: number; storeCpu: number } | undefined {
  const [framework, kind] = variant.split(':');
  const peer = PEERS[framework!];
  if (peer === undefined || !OUR_KINDS.test(kind ?? '') || !SELECTED.includes(peer)) return undefined;
  const ours = `${variant}|${scenario}`;
  const theirs = `${peer}|${scenario}`;
  return {
    reqPerSec: pick(ours, 'reqPerSec') / pick(theirs, 'reqPerSec'),
    storeCpu: pick(ours, 'storeCpuPerReq') / pick(theirs, 'storeCpuPerReq'),
  };
}

/**
 * The targets our middlewares are held to, checked on this run: every read and write at least 1.2x its
 * framework's usual session package in req/s, Redis CPU per read at most the package's and per write at most
 * 1.5x, Hono's read within 20 µs of server CPU over bare Hono, and OpenTelemetry recording under 10 µs of
 * server CPU per request.
 */
function targetsMet(pick: Pick): string[] {
  const lines: string[] = [];
  const check = (met: boolean, text: string) => lines.push(`- ${met ? 'met' : 'MISSED'}: ${text}`);
  for (const variant of SELECTED) {
    const [framework, kind] = variant.split(':');
    if (!OUR_KINDS.test(kind ?? '')) continue;
    if (kind?.startsWith('sharedstate-otel')) {
      const without = variant.replace('sharedstate-otel', 'sharedstate');
      if (!SELECTED.includes(without)) continue;
      for (const scenario of SELECTED_SCENARIOS) {
        const added =
          pick(`${variant}|${scenario}`, 'cpuPerReq') - pick(`${without}|${scenario}`, 'cpuPerReq');
        check(added < 10, `${variant} ${scenario} records for ${added.toFixed(1)} µs of server CPU (< 10)`);
      }
      continue;
    }
    for (const scenario of SELECTED_SCENARIOS) {
      const peer = againstPeer(variant, scenario, pick);
      if (peer !== undefined) {
        if (RATE === undefined)
          check(
            peer.reqPerSec >= 1.2,
            `${variant} ${scenario} req/s ${peer.reqPerSec.toFixed(2)}x its peer's (>= 1.2x)`,
          );
        const limit = scenario === 'read' ? 1 : 1.5;
        check(
          peer.storeCpu <= limit,
          `${variant} ${scenario} Redis CPU ${peer.storeCpu.toFixed(2)}x its peer's (<= ${limit}x)`,
        );
      }
      if (framework === 'hono' && scenario === 'read' && SELECTED.includes('hono:bare')) {
        const over = pick(`${variant}|read`, 'cpuPerReq') - pick('hono:bare|read', 'cpuPerReq');
        check(over <= 20, `${variant} read ${over.toFixed(1)} µs of server CPU over bare Hono (<= 20)`);
      }
    }
  }
  return lines.length === 0 ? [] : ['', 'Targets, this run:', '', ...lines];
}

/**
 * Each session read's req/s against its framework's floor round by round (the runs measured nearest each
 * other), beside the table's ratio of medians: how far one round moves from the next on this machine, which
 * a single ratio hides.
 */
function perRoundRatios(samples: Map<string, Measurement[]>): string[] {
  const lines: string[] = [];
  for (const variant of SELECTED) {
    const [framework, kind] = variant.split(':');
    if (withoutSession(kind)) continue;
    const ours = samples.get(`${variant}|read`);
    const floor = samples.get(`${floorOf(variant, 'read')}|read`);
    if (ours === undefined || floor === undefined || ours.length < 2) continue;
    const ratios = ours.map((m, round) => m.reqPerSec / floor[round]!.reqPerSec);
    lines.push(
      `- ${framework} ${kind}: ${ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)})`,
    );
  }
  if (lines.length === 0) return [];
  return ['', "Reads, req/s vs the floor in each round (the same round's):", '', ...lines];
}
