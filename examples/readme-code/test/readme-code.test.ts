// The READMEs' code as an app gets it: the packages packed as they would be published, installed with npm
// beside the app's own express, koa, hono, fastify and ioredis, typechecked strictly (the root README's quick start,
// each package README's example and the migration guide's TypeScript example), the README scripts run to their
// end, and the README servers (Express, Koa, Hono, Fastify) run as two processes that share one session. It fails when
// a package ships without its built files or types, when a published dependency clashes with the app's copy
// (ioredis pinned in our dependencies put a second ioredis under an app on ioredis 6, and TypeScript then
// refused the app's client), and when README code stops compiling or working, when a published package answers
// an app's "source" condition with TypeScript sources that Node will not run from node_modules, and when a
// package's published exports map (publishConfig.exports, kept by hand) drifts from its exports.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CookieJarClient, describeWithService, type ManagedProcess, services } from '@sharedstate/testing';
import { startApp } from './app-process.ts';

const run = promisify(execFile);
const repository = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Every published package (not private), each with a README example: read from packages/ at load time. */
const PACKAGES = readdirSync(join(repository, 'packages')).filter((name) => {
  const manifest = join(repository, 'packages', name, 'package.json');
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).private !== true;
});

/** Every file under a folder, as paths relative to it with forward slashes. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesUnder(dir, path) : [path];
  });
}

/** Names of the methods and properties a package's sources document as `@internal`. */
function internalMemberNames(srcDir: string): string[] {
  const names = new Set<string>();
  for (const file of filesUnder(srcDir).filter((path) => path.endsWith('.ts'))) {
    const text = readFileSync(join(srcDir, file), 'utf8');
    for (const match of text.matchAll(
      /@internal[^\n]*\*\/\s*\n\s*(?:readonly\s+|static\s+)*([A-Za-z_$][\w$]*)\s*[(:]/g,
    )) {
      // A constructor is matched by name in every class: an internal one is checked by the API reports.
      if (match[1] !== 'constructor') names.add(match[1]!);
    }
  }
  return [...names];
}

/**
 * The app's own dependencies, as the READMEs' install lines give them today (`npm install ioredis` is
 * ioredis 6), with the frameworks' types.
 */
const APP_DEPENDENCIES = {
  '@azure/storage-blob': '12.34.0',
  '@hono/node-server': '2.1.9',
  '@opentelemetry/api': '1.10.0',
  '@opentelemetry/sdk-metrics': '3.1.1',
  '@types/express': '5.0.6',
  // docs/migrating-from-express-session.md: kept for req.session's types with { properties: true }.
  '@types/express-session': '1.19.0',
  '@types/koa': '3.0.3',
  '@types/mssql': '12.3.0',
  '@types/node': '24.19.2',
  '@types/pg': '8.23.1',
  express: '5.3.0',
  fastify: '5.12.8',
  hono: '4.13.19',
  ioredis: '6.0.0',
  koa: '3.3.0',
  pg: '8.23.1',
  mssql: '12.7.14',
};

/** A package README's example: its first ts code block, a whole program. */
async function packageExample(name: string): Promise<string> {
  const readme = await readFile(join(repository, 'packages', name, 'README.md'), 'utf8');
  const code = readme.match(/```ts\n([\s\S]*?)```/)?.[1];
  if (code === undefined) throw new Error(`packages/${name}/README.md has no ts code block`);
  return code;
}

/** The first ts code block under a heading of a repository markdown file. */
async function codeUnder(path: string, heading: string): Promise<string> {
  const text = await readFile(join(repository, path), 'utf8');
  const code = text.split(heading)[1]?.match(/```ts\n([\s\S]*?)```/)?.[1];
  if (code === undefined) throw new Error(`${path} has no ts code block under "${heading}"`);
  return code;
}

/** Every ts code block under a heading of a repository markdown file (to the next heading of its level). */
async function codeBlocksUnder(path: string, heading: string): Promise<string[]> {
  const text = await readFile(join(repository, path), 'utf8');
  const level = heading.slice(0, heading.indexOf(' ') + 1);
  const section = text.split(heading)[1]?.split(`\n${level}`)[0] ?? '';
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/**
 * The two guides for writing a provider of one's own, as files of an app: each guide's class, and the
 * test that runs the conformance suite on it (for the cache, the guide's node:test version).
 */
async function guideFiles(): Promise<Record<string, string>> {
  const cacheGuide = 'docs/writing-a-cache-provider.md';
  const [cache] = await codeBlocksUnder(cacheGuide, '## 1. Implement the interface');
  const nodeTest = (await codeBlocksUnder(cacheGuide, '## 2. Run the conformance suite')).find((code) =>
    code.includes("from 'node:test'"),
  );
  const repositoryGuide = 'docs/writing-a-key-ring-repository.md';
  const [repository] = await codeBlocksUnder(repositoryGuide, '## 1. Implement the interface');
  const [repositoryTest] = await codeBlocksUnder(repositoryGuide, '## 2. Run the conformance suite');
  if (!cache || !nodeTest || !repository || !repositoryTest)
    throw new Error('a provider guide lost its code');
  return {
    'guides/src/my-cache.ts': cache,
    'guides/test/my-cache.conformance.test.ts': nodeTest,
    'guides/list-xml-repository.ts': repository,
    'guides/list-xml-repository.test.ts': repositoryTest,
    // The repository guide's test is jest's; this runs the same cases where there is no jest.
    'guides/list-xml-repository.run.ts': `import { repositoryCases, runRepositoryCase } from '@sharedstate/dataprotection-core/testing';
import { ListXmlRepository } from './list-xml-repository.ts';

for (const testCase of repositoryCases) {
  await runRepositoryCase(testCase, {
    createStorage() {
      const elements: string[] = [];
      return { open: () => new ListXmlRepository(elements), storeDamaged: async (text) => void elements.push(text) };
    },
  });
}
console.log(\`\${repositoryCases.length} cases passed\`);
`,
  };
}

/** The README's "Quick start (Express)" code block. */
const quickStartCode = () => codeUnder('README.md', '## Quick start (Express)');

/** The README's "Quick start without a server (Express)" code block. */
const noServerQuickStartCode = () => codeUnder('README.md', '## Quick start without a server (Express)');

/** The migration guide's TypeScript example: @types/express-session over our properties view. */
const migrationTypeScriptCode = () => codeUnder('docs/migrating-from-express-session.md', '## TypeScript');

/**
 * docs/backends/redis.md says ioredis 6 clients made with `replyMapping: 'resp3'` (a Redis, or a Cluster
 * through its redisOptions) are accepted as they are: typechecked with the rest, never run.
 */
const RESP3_CLIENTS = `import { RedisCache } from '@sharedstate/caching-redis';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { Cluster, Redis } from 'ioredis';

const redis = new Redis({ lazyConnect: true, replyMapping: 'resp3' });
new RedisCache({ redis });
new RedisXmlRepository({ redis });
const cluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], {
  lazyConnect: true,
  redisOptions: { replyMapping: 'resp3' },
});
new RedisCache({ redis: cluster });
new RedisXmlRepository({ redis: cluster });
`;

/**
 * Package README examples that are whole scripts: run as written, each must end by itself (closing what it
 * opened) and print what its comments say.
 */
const SCRIPTS = [
  { name: 'authentication-cookies', prints: ['.AspNetCore.Cookies', 'ada true'] },
  { name: 'caching-abstractions', prints: ["{ items: [ 'book' ] }"] },
  { name: 'caching-redis', prints: ["{ items: [ 'book' ] }"] },
  { name: 'caching-hybrid', prints: ['Earl Grey 1', '2'] },
  { name: 'dataprotection-abstractions', prints: ['reset password for ada', 'undefined'] },
  { name: 'dataprotection-core', prints: ['order 42', 'reset password for ada'] },
  { name: 'dataprotection-redis', prints: ['order 42'] },
  { name: 'dataprotection-cli', prints: ['Created key', ' active '] },
  { name: 'session-core', prints: ['sharedstate.sid=CfDJ8'] },
  { name: 'opentelemetry', prints: ['set ok 1', 'get hit 1', 'get miss 1'] },
];
/** The other packages' examples, and why they are not among SCRIPTS (a new package must be placed). */
const NOT_SCRIPTS: Record<string, string> = {
  'dataprotection-azureblob': 'a script too, run on Azurite below',
  'caching-postgres': 'a script too, run on PostgreSQL below',
  'dataprotection-postgres': 'a script too, run on PostgreSQL below',
  'session-koa': 'a server, run as two processes below',
  'session-hono': 'a server, run as two processes below',
  'session-fastify': 'a server, run as two processes below',
  'session-express': 'a server, run as two processes below',
  'caching-sqlserver': 'needs a SQL Server, which CI cannot install: typechecked only',
};

/** What a browser does across a README server's two processes, A and B (URLs ending in "/"). */
type Exchange = (browser: CookieJarClient, first: string, second: string) => Promise<void>;

/** The visit counters (GET /): each visit, on either process, sees the one before. */
const countVisits: Exchange = async (browser, first, second) => {
  expect(await (await browser.send(first)).text()).toBe('visit 1');
  expect(await (await browser.send(first)).text()).toBe('visit 2');
  expect(await (await browser.send(second)).text()).toBe('visit 3');
  expect(await (await browser.send(first)).text()).toBe('visit 4');
};

/**
 * The quick start without a server: each process keeps its sessions in its memory. They share the key
 * folder, so the second reads the first one's cookie, but not its data: its count starts over.
 */
const visitsInOneProcess: Exchange = async (browser, first, second) => {
  expect(await (await browser.send(first)).text()).toBe('visit 1');
  expect(await (await browser.send(first)).text()).toBe('visit 2');
  expect(await (await browser.send(second)).text()).toBe('visit 1');
  expect(await (await browser.send(first)).text()).toBe('visit 3');
};

/** The session-express shop: POST /cart/:item redirects to GET /cart, which either process answers. */
const fillCart: Exchange = async (browser, first, second) => {
  const added = await browser.send(`${first}cart/book`, 'POST');
  expect([added.status, added.headers.get('location')]).toEqual([303, '/cart']);
  expect(await (await browser.send(`${second}cart`)).json()).toEqual(['book']);
  await browser.send(`${second}cart/pen`, 'POST');
  expect(await (await browser.send(`${first}cart`)).json()).toEqual(['book', 'pen']);
};

/** README programs that keep state in a session: each runs as two processes on one Redis. */
const SERVERS: {
  name: string;
  file: string;
  code: () => Promise<string>;
  listen: string;
  onPort: string;
  /** A page that answers 200 without a session, polled until the process is up (default: the root). */
  ready?: string;
  /** Default: countVisits. */
  exchange?: Exchange;
  /** Where the two processes keep sessions and keys: Redis (REDIS_URL, the default) or PostgreSQL (DATABASE_URL). */
  store?: 'postgres';
}[] = [
  {
    name: 'the root quick start (Express)',
    file: 'quick-start',
    code: quickStartCode,
    listen: 'app.listen(3000);',
    onPort: 'app.listen(Number(process.env.PORT));',
  },
  {
    name: 'the root quick start without a server (Express)',
    file: 'quick-start-no-server',
    code: noServerQuickStartCode,
    listen: 'app.listen(3000);',
    onPort: 'app.listen(Number(process.env.PORT));',
    exchange: visitsInOneProcess,
  },
  {
    name: 'the session-express example',
    file: 'session-express',
    code: () => packageExample('session-express'),
    listen: 'app.listen(3000);',
    onPort: 'app.listen(Number(process.env.PORT));',
    ready: 'cart',
    exchange: fillCart,
  },
  {
    name: "docs/backends/postgres.md's whole story on PostgreSQL (Express)",
    file: 'postgres-whole-story',
    code: () => codeUnder('docs/backends/postgres.md', '### The whole story on PostgreSQL'),
    listen: 'app.listen(3000);',
    onPort: 'app.listen(Number(process.env.PORT));',
    store: 'postgres',
  },
  {
    name: 'the session-koa example',
    file: 'session-koa',
    code: () => packageExample('session-koa'),
    listen: 'app.listen(3000);',
    onPort: 'app.listen(Number(process.env.PORT));',
  },
  {
    name: 'the session-hono example',
    file: 'session-hono',
    code: () => packageExample('session-hono'),
    listen: 'serve({ fetch: app.fetch, port: 3000 });',
    onPort: 'serve({ fetch: app.fetch, port: Number(process.env.PORT) });',
  },
  {
    name: 'the session-fastify example',
    file: 'session-fastify',
    code: () => packageExample('session-fastify'),
    listen: 'await app.listen({ port: 3000 });',
    onPort: "await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });",
  },
];

/**
 * tsc's errors in the app's code and in our published types. skipLibCheck is off so that our .d.ts files
 * are checked too, which also checks the frameworks' own typings: @types/koa 3.0.3 names a type that
 * content-disposition 1 (Koa 3's) no longer exports. Errors inside other packages' typings are theirs.
 */
function oursAndTheApps(output: string): string[] {
  const errors: string[] = [];
  for (const line of output.split('\n')) {
    if (/^\S.*\(\d+,\d+\): error TS\d+/.test(line)) errors.push(line);
    else if (line.trim() !== '' && errors.length > 0) errors[errors.length - 1] += `\n${line}`;
    else if (line.trim() !== '') errors.push(line);
  }
  return errors.filter((error) => !/\/node_modules\/(?!@sharedstate\/)/.test(error.split('(')[0] ?? ''));
}

type ExportMap = string | { [key: string]: ExportMap };

/** An exports map with one condition removed wherever it appears. */
function withoutCondition(exports: ExportMap, condition: string): ExportMap {
  if (typeof exports === 'string') return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== condition)
      .map(([key, value]) => [key, withoutCondition(value, condition)]),
  );
}

/** Every file an exports map points at. */
function exportTargets(exports: ExportMap): string[] {
  return typeof exports === 'string' ? [exports] : Object.values(exports).flatMap(exportTargets);
}

describeWithService(services.redis(), "The READMEs' code, installed from the packed packages", (redis) => {
  let app: string;
  const processes: ManagedProcess[] = [];

  beforeAll(async () => {
    app = await mkdtemp(join(tmpdir(), 'sharedstate-readme-code-'));
    const tarballs = join(app, 'packages');
    await mkdir(tarballs);
    const ownManifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    for (const name of PACKAGES) {
      const dir = join(repository, 'packages', name);
      // turbo builds what this example depends on before its tests: a package left out would be packed stale.
      if (ownManifest.devDependencies?.[`@sharedstate/${name}`] === undefined) {
        throw new Error(`add @sharedstate/${name} to examples/readme-code's devDependencies (workspace:*)`);
      }
      if (!existsSync(join(dir, 'dist', 'index.js'))) {
        throw new Error(`packages/${name} is not built: run pnpm build (pnpm test builds it first)`);
      }
      await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir });
    }
    const dependencies: Record<string, string> = { ...APP_DEPENDENCIES };
    for (const file of await readdir(tarballs)) {
      const name = `@sharedstate/${file.replace(/^sharedstate-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`;
      dependencies[name] = `file:./packages/${file}`;
    }
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({ name: 'readme-app', private: true, type: 'module', dependencies }, null, 2),
    );
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          // As Node runs them: the guides' files import each other by their .ts names.
          allowImportingTsExtensions: true,
          // As in a monorepo like this one, which resolves its own packages to their sources through a
          // "source" export condition: published packages must still answer with their built files.
          customConditions: ['source'],
        },
        files: [
          ...PACKAGES.map((name) => `readme-examples/${name}.ts`),
          'servers/quick-start.ts',
          'servers/quick-start-no-server.ts',
          'servers/postgres-whole-story.ts',
          'resp3-clients.ts',
          'guides/src/my-cache.ts',
          'guides/test/my-cache.conformance.test.ts',
          'guides/list-xml-repository.ts',
          'guides/list-xml-repository.test.ts',
          'guides/list-xml-repository.run.ts',
          'migration-typescript.ts',
        ],
      }),
    );
    await writeFile(join(app, 'resp3-clients.ts'), RESP3_CLIENTS);
    for (const [file, code] of Object.entries(await guideFiles())) {
      await mkdir(join(app, file, '..'), { recursive: true });
      await writeFile(join(app, file), code);
    }
    await writeFile(join(app, 'migration-typescript.ts'), await migrationTypeScriptCode());
    await mkdir(join(app, 'readme-examples'));
    for (const name of PACKAGES) {
      await writeFile(join(app, 'readme-examples', `${name}.ts`), await packageExample(name));
    }
    // The one change to the servers' code: a port of the test's choosing, as two copies run side by side.
    await mkdir(join(app, 'servers'));
    for (const server of SERVERS) {
      const code = await server.code();
      if (!code.includes(server.listen)) {
        throw new Error(`${server.name} no longer listens with \`${server.listen}\`: update SERVERS`);
      }
      await writeFile(join(app, 'servers', `${server.file}.ts`), code.replace(server.listen, server.onPort));
    }
    // The registry is reached with the machine's own settings (a proxy's CA in NODE_EXTRA_CA_CERTS, HTTPS_PROXY):
    // turbo.json passes them through to the tests.
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', '--fetch-retry-maxtimeout=20000'],
      { cwd: app, timeout: 180_000 },
    ).catch((error: { stderr?: string; message: string }) => {
      throw new Error(
        `npm install of the packed packages failed (it needs the npm registry): ${error.stderr || error.message}`,
      );
    });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(processes.map((child) => child.stop()));
    if (app !== undefined) await rm(app, { recursive: true, force: true });
  });

  /**
   * A second app beside the main one, with only the packages named (packed, standing in for the registry's)
   * and the other dependencies given, installed with npm: answers its folder.
   */
  async function installSmallApp(
    name: string,
    ours: string[],
    others: Record<string, string>,
  ): Promise<string> {
    const folder = join(app, name);
    await mkdir(folder);
    const tarballs = await readdir(join(app, 'packages'));
    const dependencies: Record<string, string> = { ...others };
    for (const pkg of ours) {
      dependencies[`@sharedstate/${pkg}`] =
        `file:../packages/${tarballs.find((file) => file.startsWith(`sharedstate-${pkg}-`))}`;
    }
    await writeFile(
      join(folder, 'package.json'),
      JSON.stringify({ name, private: true, type: 'module', dependencies }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: folder,
      timeout: 180_000,
    });
    return folder;
  }

  test('npm installs one ioredis, the app’s, which the packages share', async () => {
    const files = await readdir(join(app, 'node_modules'), { recursive: true });
    const copies = files
      .filter((file) => /(^|\/)ioredis\/package\.json$/.test(file))
      .map((file) => join(app, 'node_modules', file.replace(/\/package\.json$/, '')));
    expect(copies).toEqual([join(app, 'node_modules', 'ioredis')]);
    const version = JSON.parse(await readFile(join(copies[0]!, 'package.json'), 'utf8')).version;
    expect(version).toBe(APP_DEPENDENCIES.ioredis);
  });

  test('an app that installs session-express alone gets neither dataprotection-core nor xmldom', async () => {
    const alone = await installSmallApp(
      'session-express-alone',
      ['session-express', 'session-core', 'caching-abstractions', 'dataprotection-abstractions'],
      { express: APP_DEPENDENCIES.express },
    );
    const { stdout } = await run('npm', ['ls', '--all', '--parseable'], { cwd: alone });
    const installed = stdout.split('\n').map((path) => path.slice(join(alone, 'node_modules').length + 1));
    expect(installed).toEqual(expect.arrayContaining(['@sharedstate/session-core', 'cookie', 'ms']));
    expect(installed.filter((name) => /dataprotection-core|xmldom|ioredis/.test(name))).toEqual([]);
  }, 200_000);

  test('an app on node-redis alone (no ioredis) compiles against the Redis packages, and a wrong client does not', async () => {
    const nodeRedisApp = await installSmallApp(
      'node-redis-alone',
      [
        'caching-redis',
        'dataprotection-redis',
        'caching-abstractions',
        'dataprotection-abstractions',
        'dataprotection-core',
      ],
      { redis: '5.9.0', '@types/node': APP_DEPENDENCIES['@types/node'] },
    );
    expect(existsSync(join(nodeRedisApp, 'node_modules', 'ioredis'))).toBe(false);
    await writeFile(
      join(nodeRedisApp, 'app.ts'),
      `import { RedisCache } from '@sharedstate/caching-redis';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { createClient, createCluster } from 'redis';

const client = createClient();
new RedisCache({ redis: client });
new RedisXmlRepository({ redis: client });
const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] });
new RedisCache({ redis: cluster });
new RedisXmlRepository({ redis: cluster });
// @ts-expect-error neither an ioredis nor a node-redis client
new RedisCache({ redis: { hello: 'world' } });
// @ts-expect-error neither an ioredis nor a node-redis client
new RedisXmlRepository({ redis: 42 });
`,
    );
    // Both ways apps set skipLibCheck: off, our declarations must not need ioredis; on, a missing ioredis
    // would silently make the client option \`any\`, and the wrong clients above would compile.
    for (const skipLibCheck of [false, true]) {
      await writeFile(
        join(nodeRedisApp, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2023',
            noEmit: true,
            skipLibCheck,
            types: ['node'],
          },
          files: ['app.ts'],
        }),
      );
      const result = await run(process.execPath, [tsc, '-p', nodeRedisApp]).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect({ skipLibCheck, errors: result }).toEqual({ skipLibCheck, errors: '' });
    }
  }, 200_000);

  test("session-core's two entries share one set of classes, in ESM and in CommonJS (an adapter's handler throws the errors an app catches)", async () => {
    const probe = (load: string) => `${load}
try { new kit.SessionHandler({}); } catch (error) {
  console.log(JSON.stringify({ same: error instanceof main.SessionConfigurationError, name: error.constructor.name }));
}`;
    const esm = probe(
      "const main = await import('@sharedstate/session-core'); const kit = await import('@sharedstate/session-core/adapter');",
    );
    const cjs = probe(
      "const main = require('@sharedstate/session-core'); const kit = require('@sharedstate/session-core/adapter');",
    );
    for (const [flag, code] of [
      ['--input-type=module', esm],
      ['--input-type=commonjs', cjs],
    ] as const) {
      const { stdout } = await run(process.execPath, [flag, '-e', code], { cwd: app });
      expect({ flag, outcome: JSON.parse(stdout) }).toEqual({
        flag,
        outcome: { same: true, name: 'SessionConfigurationError' },
      });
    }
  });

  test('every package README example is run, or named with the reason it is not', () => {
    const placed = [...SCRIPTS.map((script) => script.name), ...Object.keys(NOT_SCRIPTS)];
    expect(PACKAGES.filter((name) => !placed.includes(name))).toEqual([]);
  });

  test('each installed package exports what its repo manifest does, minus "source", and ships every target', async () => {
    for (const name of PACKAGES) {
      const repoManifest = JSON.parse(
        await readFile(join(repository, 'packages', name, 'package.json'), 'utf8'),
      );
      const installedDir = join(app, 'node_modules', '@sharedstate', name);
      const installed = JSON.parse(await readFile(join(installedDir, 'package.json'), 'utf8'));
      // publishConfig.exports repeats exports by hand: a subpath added to one and not the other shows here.
      expect({ name, exports: installed.exports }).toEqual({
        name,
        exports: withoutCondition(repoManifest.exports, 'source'),
      });
      const missing = exportTargets(installed.exports).filter(
        (target) => !existsSync(join(installedDir, target)),
      );
      expect({ name, missing }).toEqual({ name, missing: [] });
    }
  });

  test('each installed package ships its built files and README only: no sources, no source maps, no @internal member in its types', async () => {
    for (const name of PACKAGES) {
      const installedDir = join(app, 'node_modules', '@sharedstate', name);
      const files = filesUnder(installedDir);
      const extra = files.filter(
        (file) => file.endsWith('.map') || file.startsWith('src/') || file.endsWith('.test.ts'),
      );
      expect({ name, extra }).toEqual({ name, extra: [] });
      // Members the sources mark @internal serve the packages' own wiring; an app must not see them.
      const internal = internalMemberNames(join(repository, 'packages', name, 'src'));
      const declarations = files
        .filter((file) => /\.d\.c?ts$/.test(file))
        .map((file) => readFileSync(join(installedDir, file), 'utf8'))
        .join('\n');
      const exposed = internal.filter((member) =>
        new RegExp(`^\\s+(?:readonly\\s+|static\\s+)*${member}\\??\\s*[(:]`, 'm').test(declarations),
      );
      expect({ name, exposed }).toEqual({ name, exposed: [] });
    }
  });

  test('the quick start, every package README example, resp3 clients and the migration guide typecheck strictly against the published types', async () => {
    const result = await run(process.execPath, [tsc, '-p', app, '--pretty', 'false']).catch(
      (error: { stdout?: string; message: string }) => ({ stdout: error.stdout ?? error.message }),
    );
    expect(oursAndTheApps(result.stdout)).toEqual([]);
  }, 60_000);

  /** Runs a package README's example as a script in the app; resolves with what it printed. */
  const runScript = async (name: string, env: Record<string, string>): Promise<string> => {
    const result = await run(
      process.execPath,
      ['--conditions=source', join('readme-examples', `${name}.ts`)],
      {
        cwd: app,
        env: { ...process.env, ...env },
        timeout: 30_000,
      },
    ).catch((error: { stdout?: string; stderr?: string; message: string; killed?: boolean }) => {
      const why = error.killed ? 'did not end within 30 s (left a connection open?)' : 'failed';
      throw new Error(
        `the ${name} README example ${why}: ${error.stderr || error.message}\n${error.stdout ?? ''}`,
      );
    });
    return result.stdout;
  };

  test.each(SCRIPTS.map((script) => [script.name, script] as const))(
    'the %s README example runs to its end and prints what its comments say',
    async (name, script) => {
      const printed = await runScript(name, { REDIS_URL: redis().url });
      for (const expected of script.prints) expect(printed).toContain(expected);
    },
    40_000,
  );

  test('the cache provider guide’s skeleton passes the conformance suite, run with node:test as the guide says', async () => {
    const result = await run(process.execPath, ['--test', 'test/my-cache.conformance.test.ts'], {
      cwd: join(app, 'guides'),
      timeout: 60_000,
    }).catch((error: { stdout?: string; message: string }) => {
      throw new Error(`the guide's conformance test failed: ${error.stdout ?? error.message}`);
    });
    expect(result.stdout).toMatch(/pass 1\b[\s\S]*fail 0\b/);
  }, 70_000);

  test('the key ring repository guide’s repository passes the repository conformance cases', async () => {
    const { stdout } = await run(process.execPath, ['list-xml-repository.run.ts'], {
      cwd: join(app, 'guides'),
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^\d+ cases passed\n$/);
  }, 70_000);

  describeWithService(services.postgres(), 'on PostgreSQL', (postgres) => {
    test('the caching-postgres README example runs to its end and prints the cart', async () => {
      const printed = await runScript('caching-postgres', { DATABASE_URL: postgres().url });
      expect(printed).toContain("{ items: [ 'book' ] }");
    }, 40_000);

    test('the dataprotection-postgres README example runs to its end and round-trips a payload', async () => {
      const printed = await runScript('dataprotection-postgres', { DATABASE_URL: postgres().url });
      expect(printed).toContain('order 42');
    }, 40_000);

    test.each(
      SERVERS.filter((server) => server.store === 'postgres').map((server) => [server.name, server] as const),
    )(
      '%s, run as two processes on a database without its tables, serves one session: each reads what the other saved',
      (_name, server) => runAsTwoProcesses(server, { DATABASE_URL: postgres().url }),
      60_000,
    );
  });

  describeWithService(services.azurite(), 'on Azurite', (azurite) => {
    test('the dataprotection-azureblob README example runs to its end and round-trips a payload', async () => {
      const printed = await runScript('dataprotection-azureblob', {
        AZURE_STORAGE_CONNECTION_STRING: azurite().connectionString,
      });
      expect(printed).toContain('order 42');
    }, 40_000);
  });

  /** Runs a README server as two processes on one store, and a browser's exchange across them. */
  async function runAsTwoProcesses(server: (typeof SERVERS)[number], env: Record<string, string>) {
    const start = (label: string) =>
      startApp(
        processes,
        `${server.name} ${label}`,
        app,
        ['--conditions=source', join('servers', `${server.file}.ts`)],
        env,
        server.ready,
      );
    const first = await start('A');
    const second = await start('B');
    await (server.exchange ?? countVisits)(new CookieJarClient(), first, second);
  }

  test.each(
    SERVERS.filter((server) => server.store === undefined).map((server) => [server.name, server] as const),
  )(
    '%s, run as two processes, keeps the sessions its text says (shared, or per process without a server)',
    (_name, server) => runAsTwoProcesses(server, { REDIS_URL: redis().url }),
    60_000,
  );
});
