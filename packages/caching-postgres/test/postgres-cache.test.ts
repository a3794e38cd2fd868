// Against a PostgreSQL of the test's own (initdb and postgres from Debian's package, on a free port).
import {
  CACHE_OPERATION_CHANNEL,
  CacheArgumentError,
  CacheError,
  type CacheOperationEvent,
  CacheUnavailableError,
} from '@sharedstate/caching-abstractions';
import { describeCacheConformance, realTiming } from '@sharedstate/caching-abstractions/testing';
import { PostgresCache, runPostgresCacheCli } from '@sharedstate/caching-postgres';
import {
  capturedOutput as capture,
  describeWithService,
  type LocalPostgresServer,
  recordingLogger,
  recordTracingChannel,
  services,
  waitUntil,
} from '@sharedstate/testing';
import { type CountingPool, countingPool } from '@sharedstate/testing/postgres';
import pg from 'pg';

const quiet = { out: () => {}, err: () => {} };
const UNICODE_CASE = 'unicode and binary-looking keys are distinct and round-trip';

describeWithService(
  services.postgres(),
  'PostgresCache on PostgreSQL',
  (server: () => LocalPostgresServer) => {
    let pool: CountingPool;
    beforeAll(async () => {
      expect(
        await runPostgresCacheCli(['create', '--connection', server().url, '--table', 'sessions'], quiet),
      ).toBe(0);
      pool = countingPool({ connectionString: server().url, max: 4 });
      // pool.end() resolves before its connections have closed; the server's shutdown then reaches them.
      pool.on('error', () => {});
    });
    afterAll(async () => {
      await pool.end();
    });
    const cache = (options: Partial<ConstructorParameters<typeof PostgresCache>[0]> = {}) =>
      new PostgresCache({ pool, tableName: 'sessions', ...options });

    test('create refuses an existing table with exit code 1', async () => {
      expect(
        await runPostgresCacheCli(['create', '--connection', server().url, '--table', 'sessions'], quiet),
      ).toBe(1);
    });

    // The table keeps whole seconds of sliding window: 1.5 s units keep each timed case clear of the rounding.
    describeCacheConformance('PostgresCache', {
      createCache: () => cache({ renewalSkipFraction: 0 }),
      disposeCache: (c) => (c as PostgresCache).close(),
      timing: realTiming(1_500),
      skip: { [UNICODE_CASE]: 'PostgreSQL text cannot hold NUL; the same keys without it are tested below' },
      conditionalSet: true,
      diagnostics: { provider: 'PostgresCache', system: 'postgresql' },
    });

    test('unicode and binary-looking keys round-trip, and a key with NUL is refused before any I/O', async () => {
      const c = cache();
      const names = ['ключ-🔑-鍵', 'with space', 'colon:separated:key', 'tab\tand\nnewline', 'KEY', 'key'];
      await Promise.all(names.map((name, i) => c.set(`unicode:${name}`, Uint8Array.of(i))));
      for (const [i, name] of names.entries())
        expect(await c.get(`unicode:${name}`)).toEqual(Uint8Array.of(i));
      const sent = pool.statements.length;
      await expect(c.set('\u0000nul', Uint8Array.of(1))).rejects.toThrow(CacheArgumentError);
      await expect(c.get('\u0000nul')).rejects.toThrow(/NUL/);
      expect(pool.statements.length).toBe(sent);
      await c.close();
    });

    test('get, set, refresh and remove each send one statement; a sliding get renews and reads in it', async () => {
      const c = cache({ renewalSkipFraction: 0 });
      const count = async (operation: () => Promise<unknown>) => {
        const before = pool.statements.length;
        await operation();
        return pool.statements.length - before;
      };
      expect(await count(() => c.set('one-trip', Buffer.from('v'), { slidingExpiration: '20m' }))).toBe(1);
      const before = await server().psql(`SELECT expiresattime FROM sessions WHERE id = 'one-trip'`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await count(() => c.get('one-trip'))).toBe(1);
      const after = await server().psql(`SELECT expiresattime FROM sessions WHERE id = 'one-trip'`);
      expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
      expect(await count(() => c.refresh('one-trip'))).toBe(1);
      expect(await count(() => c.remove('one-trip'))).toBe(1);
      await c.close();
    });

    test('the sliding window is capped at the absolute expiration by the whole interval, not its seconds field', async () => {
      const c = cache({ renewalSkipFraction: 0 });
      const hours = (n: number) => new Date(Date.now() + n * 3_600_000);
      const expiresIn = async (id: string) =>
        Number(
          await server().psql(
            `SELECT EXTRACT(EPOCH FROM expiresattime - now()) FROM sessions WHERE id = '${id}'`,
          ),
        );
      // Ten hours away, a 20-minute window still ends the entry 20 minutes after its last read.
      await c.set('far-cap', Buffer.from('v'), { slidingExpiration: '20m', absoluteExpiration: hours(10) });
      await c.get('far-cap');
      expect(await expiresIn('far-cap')).toBeGreaterThan(19 * 60);
      expect(await expiresIn('far-cap')).toBeLessThanOrEqual(20 * 60 + 1);
      // Ninety minutes away, a 2-hour window ends at the absolute expiration.
      const absolute = hours(1.5);
      await c.set('near-cap', Buffer.from('v'), { slidingExpiration: '2h', absoluteExpiration: absolute });
      await c.get('near-cap');
      const stored = await server().psql(
        `SELECT (EXTRACT(EPOCH FROM expiresattime) * 1000)::bigint FROM sessions WHERE id = 'near-cap'`,
      );
      expect(Number(stored)).toBe(absolute.getTime());
      await c.close();
    });

    test('within the skip fraction a read does not rewrite the row', async () => {
      const c = cache({ renewalSkipFraction: 0.5 });
      await c.set('skipped', Buffer.from('v'), { slidingExpiration: '20m' });
      const xmin = () => server().psql(`SELECT xmin FROM sessions WHERE id = 'skipped'`);
      const version = await xmin();
      expect(Buffer.from((await c.get('skipped'))!).toString()).toBe('v');
      await c.refresh('skipped');
      expect(await xmin()).toBe(version);
      await c.close();
    });

    test('a 20-minute session row is laid out as Microsoft.Extensions.Caching.Postgres writes it', async () => {
      const c = cache();
      const start = Date.now();
      await c.set('382c74c3-721d-4f34-80e5-57657b6cbc27', Buffer.from('blob'), { slidingExpiration: '20m' });
      const [value, expires, sliding, absolute] = (
        await server().psql(
          `SELECT encode(value, 'escape'), (EXTRACT(EPOCH FROM expiresattime) * 1000)::bigint, slidingexpirationinseconds, absoluteexpiration IS NULL FROM sessions WHERE id = '382c74c3-721d-4f34-80e5-57657b6cbc27'`,
        )
      ).split('|');
      expect(value).toBe('blob');
      expect(Number(expires)).toBeGreaterThanOrEqual(start + 20 * 60_000);
      expect(Number(expires)).toBeLessThanOrEqual(Date.now() + 20 * 60_000);
      expect([sliding, absolute]).toEqual(['1200', 't']);
      const columns = await server().psql(
        `SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(collation_name, '-'), ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'sessions'`,
      );
      expect(columns).toBe(
        'id character varying NO C, value bytea NO -, expiresattime timestamp with time zone NO -, ' +
          'slidingexpirationinseconds bigint YES -, absoluteexpiration timestamp with time zone YES -',
      );
      await c.close();
    });

    test('createIfNotExists makes schema, table and index once, even from many caches at once; logged unless asked', async () => {
      const caches = Array.from({ length: 5 }, () =>
        cache({ schemaName: 'Cache', tableName: 'DistributedCache', createIfNotExists: true }),
      );
      await Promise.all(caches.map((c, i) => c.set(`k${i}`, Uint8Array.of(i))));
      // Folded as PostgreSQL folds the unquoted names of Microsoft's package.
      expect(caches[0]!.table).toBe('"cache"."distributedcache"');
      expect(
        await server().psql(
          `SELECT relpersistence FROM pg_class WHERE oid = 'cache.distributedcache'::regclass`,
        ),
      ).toBe('p');
      expect(
        await server().psql(
          `SELECT count(*) FROM pg_indexes WHERE schemaname = 'cache' AND indexname = 'ix_distributedcache_expiresattime'`,
        ),
      ).toBe('1');
      const unlogged = cache({ tableName: 'fast', createIfNotExists: true, unlogged: true });
      await unlogged.set('k', Uint8Array.of(1));
      expect(
        await server().psql(`SELECT relpersistence FROM pg_class WHERE oid = 'public.fast'::regclass`),
      ).toBe('u');
      await Promise.all([...caches, unlogged].map((c) => c.close()));
    });

    test('two cache tables in one schema each get their index on expiresattime, one per table, even when a table already has one', async () => {
      const indexesOn = (table: string) =>
        server().psql(
          `SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = 'twin.${table}'::regclass AND a.attname = 'expiresattime'`,
        );
      const first = cache({ schemaName: 'twin', tableName: 'first_cache', createIfNotExists: true });
      const second = cache({ schemaName: 'twin', tableName: 'second_cache', createIfNotExists: true });
      await first.set('k', Uint8Array.of(1));
      await second.set('k', Uint8Array.of(2));
      // A table whose index another tool made (Microsoft's package names it ix_expiresattime) gets no second.
      await server().psql(
        `CREATE TABLE twin.from_dotnet (LIKE twin.first_cache INCLUDING ALL EXCLUDING INDEXES); ALTER TABLE twin.from_dotnet ADD PRIMARY KEY (id); CREATE INDEX ix_dotnet ON twin.from_dotnet (expiresattime)`,
      );
      const third = cache({ schemaName: 'twin', tableName: 'from_dotnet', createIfNotExists: true });
      await third.set('k', Uint8Array.of(3));
      expect({
        first: await indexesOn('first_cache'),
        second: await indexesOn('second_cache'),
        fromDotnet: await indexesOn('from_dotnet'),
      }).toEqual({ first: '1', second: '1', fromDotnet: '1' });
      await Promise.all([first, second, third].map((c) => c.close()));
      // The command-line tool reports the index the database lists for the new table.
      const io = capture();
      expect(
        await runPostgresCacheCli(
          ['create', '--connection', server().url, '--schema', 'twin', '--table', 'third_cache'],
          io,
        ),
      ).toBe(0);
      expect(io.stdout).toBe(
        'Table "twin"."third_cache" and index ix_third_cache_expiresattime were created.\n',
      );
      expect(await indexesOn('third_cache')).toBe('1');
    });

    test('a missing table is named in the error, with the command that creates it', async () => {
      const c = cache({ tableName: 'never_created' });
      await expect(c.get('k')).rejects.toThrow(
        /"public"\."never_created" does not exist: create it with `sharedstate-pg-cache create/,
      );
      await expect(c.get('k')).rejects.not.toThrow(CacheUnavailableError);
      await c.close();
    });

    test('expired rows are deleted in batches, and live rows are left', async () => {
      const c = cache({ tableName: 'sweep', createIfNotExists: true, deleteBatchSize: 2 });
      const soon = new Date(Date.now() + 1_000);
      await Promise.all(
        [1, 2, 3, 4, 5].map((i) => c.set(`gone${i}`, Uint8Array.of(i), { absoluteExpiration: soon })),
      );
      await c.set('kept', Uint8Array.of(9));
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const operations = recordTracingChannel<CacheOperationEvent>(CACHE_OPERATION_CHANNEL);
      try {
        expect(await c.deleteExpired()).toBe(5);
      } finally {
        operations.stop();
      }
      expect(await server().psql('SELECT id FROM sweep')).toBe('kept');
      // Published as one sweep, with what it deleted and the server it ran on.
      expect(operations.ended()).toEqual([
        {
          provider: 'PostgresCache',
          system: 'postgresql',
          serverAddress: new URL(server().url).hostname,
          serverPort: Number(new URL(server().url).port),
          operation: 'sweep',
          keyLength: 0,
          outcome: 'ok',
          removed: 5,
        },
      ]);
      await c.close();
    });

    test('the sweep runs on its timer, off the request path, and one at a time per table in a process', async () => {
      // Only the interval timers are simulated; the statements run for real.
      jest.useFakeTimers({
        doNotFake: [
          'Date',
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'setImmediate',
          'setTimeout',
          'clearTimeout',
        ],
      });
      try {
        const options = { tableName: 'sessions', expiredItemsDeletionInterval: '1m' } as const;
        const caches = [
          cache(options),
          cache(options),
          cache({ ...options, tableName: 'sweep_other', createIfNotExists: true }),
        ];
        await caches[2]!.set('k', Uint8Array.of(1));
        const sweeps = () => pool.statements.filter((text) => text.includes('FOR UPDATE SKIP LOCKED')).length;
        const before = sweeps();
        await caches[0]!.get('nothing-swept-here');
        expect(sweeps()).toBe(before);
        jest.advanceTimersByTime(60_000);
        await waitUntil(async () => sweeps() >= before + 2, 'the sweeps to run');
        await Promise.all(caches.map((c) => c.close()));
        // One for "sessions" (the second cache found it running), one for "sweep_other".
        expect(sweeps()).toBe(before + 2);
      } finally {
        jest.useRealTimers();
      }
    });

    test('options are checked when the cache is made, with what to use instead', () => {
      expect(() => cache({ tableName: 'bad; DROP TABLE x' })).toThrow(
        /tableName must be a plain PostgreSQL name/,
      );
      expect(() => new PostgresCache({ pool, ConnectionString: 'x' } as never)).toThrow(
        "Unknown PostgresCache option 'ConnectionString': pass a node-postgres `pool` (new Pool({ connectionString })).",
      );
      expect(() => new PostgresCache({} as never)).toThrow(/needs `pool`/);
      expect(() => cache({ unlogged: true })).toThrow(/only applies when the cache creates its table/);
      expect(() => cache({ expiredItemsDeletionInterval: '10s' })).toThrow(/at least '1m'/);
    });
  },
);

describeWithService(
  services.postgres(),
  'PostgresCache when PostgreSQL goes away',
  (server: () => LocalPostgresServer) => {
    test('fails with CacheUnavailableError within operationTimeout, and the same objects work again when it returns', async () => {
      expect(await runPostgresCacheCli(['create', '--connection', server().url], quiet)).toBe(0);
      const logger = recordingLogger();
      const pool = new pg.Pool({ connectionString: server().url, max: 2 });
      pool.on('error', () => {});
      const c = new PostgresCache({ pool, operationTimeout: '2s', logger: logger.logger });
      await c.set('survivor', Buffer.from('committed'));

      await server().kill();
      const started = performance.now();
      const error = await c.get('survivor').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CacheUnavailableError);
      expect(performance.now() - started).toBeLessThan(2_500);
      await expect(c.set('during', Buffer.from('x'))).rejects.toThrow(CacheUnavailableError);

      await server().restart();
      expect(Buffer.from((await c.get('survivor'))!).toString()).toBe('committed');
      await c.set('after', Buffer.from('y'));
      expect(Buffer.from((await c.get('after'))!).toString()).toBe('y');
      await c.close();
      await pool.end();
    }, 60_000);

    test('without a logger, an idle connection of the pool that fails is reported on the console', async () => {
      const printed = jest.spyOn(console, 'warn').mockImplementation(() => {});
      const pool = new pg.Pool({ connectionString: server().url, max: 1 });
      pool.on('error', () => {});
      const c = new PostgresCache({
        pool,
        tableName: 'idle_failure',
        createIfNotExists: true,
        operationTimeout: '2s',
      });
      try {
        // The set leaves its connection idle in the pool; the server going away fails it there.
        await c.set('k', Buffer.from('v'));
        await server().kill();
        for (let waited = 0; printed.mock.calls.length === 0 && waited < 5_000; waited += 50) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(printed.mock.calls.map(([message]) => String(message))).toContainEqual(
          expect.stringMatching(/^PostgresCache: an idle connection of the pool failed: /),
        );
      } finally {
        printed.mockRestore();
        await server().restart();
        await c.close();
        await pool.end();
      }
    }, 60_000);

    test('a statement the server refuses is a CacheError, not an outage', async () => {
      const pool = new pg.Pool({ connectionString: server().url, max: 1 });
      pool.on('error', () => {});
      await pool.query(
        'CREATE TABLE tiny (id VARCHAR(449) COLLATE "C" PRIMARY KEY, value BYTEA NOT NULL, expiresattime TIMESTAMPTZ NOT NULL, slidingexpirationinseconds BIGINT NULL, absoluteexpiration TIMESTAMPTZ NULL, CHECK (octet_length(value) < 4))',
      );
      const c = new PostgresCache({ pool, tableName: 'tiny' });
      const error = await c.set('k', Buffer.alloc(10)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CacheError);
      expect(error).not.toBeInstanceOf(CacheUnavailableError);
      await c.close();
      await pool.end();
    });
  },
);
