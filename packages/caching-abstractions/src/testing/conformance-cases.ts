import assert from 'node:assert/strict';
import { tracingChannel } from 'node:diagnostics_channel';
import { CACHE_OPERATION_CHANNEL, type CacheOperationEvent } from '../cache-diagnostics.ts';
import { supportsConditionalSet } from '../conditional-set.ts';
import type { DistributedCache } from '../distributed-cache.ts';
import type { ConformanceTiming } from './conformance-options.ts';
import { InconclusiveStepError, TimedSteps } from './timed-steps.ts';

export interface ConformanceContext {
  cache: DistributedCache;
  timing: ConformanceTiming;
  /** A key unique to this case run, so providers sharing a server do not see each other's leftovers. */
  key(name: string): string;
  /** Whether the provider's test says it offers conditional writes (CacheConformanceOptions.conditionalSet). */
  conditionalSet: boolean;
  /** Who the provider's diagnostics events name (CacheConformanceOptions.diagnostics), if it publishes them. */
  diagnostics: { provider: string; system: string } | undefined;
}

export interface ConformanceCase {
  name: string;
  /** True for cases that wait for time to pass. */
  timed?: boolean;
  /** An optional capability the case tests: it runs only for providers that offer it. */
  requires?: 'conditionalSet' | 'diagnostics';
  run(context: ConformanceContext): Promise<void>;
}

const bytes = (...values: number[]) => Uint8Array.from(values);

/** Byte equality; a Buffer (a Uint8Array subclass) is as good as a plain Uint8Array. */
function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array, message?: string): void {
  assert.ok(actual instanceof Uint8Array, message ?? `expected bytes, got ${String(actual)}`);
  assert.deepEqual([...actual], [...expected], message);
}
const text = (value: string) => new TextEncoder().encode(value);

async function expectRejects(
  operation: () => Promise<unknown>,
  pattern: RegExp,
  what: string,
): Promise<void> {
  let failure: unknown;
  try {
    await operation();
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof Error, `${what}: expected the call to reject with an Error`);
  assert.match(failure.message, pattern, `${what}: the error message should say what is wrong`);
}

async function expectAborted(
  operation: (signal: AbortSignal) => Promise<unknown>,
  what: string,
): Promise<void> {
  const controller = new AbortController();
  const reason = new Error('aborted by the conformance suite');
  reason.name = 'AbortError';
  controller.abort(reason);
  let failure: unknown;
  try {
    await operation(controller.signal);
  } catch (error) {
    failure = error;
  }
  assert.ok(failure !== undefined, `${what} with an aborted signal should reject`);
  assert.ok(
    failure === reason || (failure instanceof Error && failure.name === 'AbortError'),
    `${what} with an aborted signal should reject with the signal's reason or an AbortError; got ${String(failure)}`,
  );
}

/**
 * The behaviour every DistributedCache must have. Plain async functions with node:assert, so they can be
 * run by the jest wrapper (describeCacheConformance) or directly (runCacheConformance), e.g. to prove the
 * suite fails on a broken provider.
 */
export const conformanceCases: readonly ConformanceCase[] = [
  {
    name: 'a value round-trips byte for byte',
    async run({ cache, key }) {
      const value = bytes(0, 1, 2, 127, 128, 254, 255);
      await cache.set(key('v'), value);
      assertBytes(await cache.get(key('v')), value);
    },
  },
  {
    name: 'every byte value round-trips',
    async run({ cache, key }) {
      const value = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
      await cache.set(key('all'), value);
      assertBytes(await cache.get(key('all')), value);
    },
  },
  {
    name: 'an empty value is stored and is not a miss',
    async run({ cache, key }) {
      await cache.set(key('empty'), new Uint8Array(0));
      const got = await cache.get(key('empty'));
      assert.ok(got !== undefined, 'an empty value must be returned as an empty Uint8Array, not undefined');
      assert.equal(got.byteLength, 0);
    },
  },
  {
    name: 'a 1 MiB value round-trips',
    async run({ cache, key }) {
      const value = new Uint8Array(1024 * 1024);
      for (let i = 0; i < value.length; i++) value[i] = (i * 31 + (i >> 8)) & 0xff;
      await cache.set(key('big'), value);
      const got = await cache.get(key('big'));
      assert.ok(got !== undefined, 'the 1 MiB value was not found');
      assert.equal(got.byteLength, value.byteLength);
      assert.ok(Buffer.from(got).equals(Buffer.from(value)), 'the 1 MiB value came back different');
    },
  },
  {
    name: 'unicode and binary-looking keys are distinct and round-trip',
    async run({ cache, key }) {
      const names = [
        'ключ-🔑-鍵',
        'with space',
        'colon:separated:key',
        'tab\tand\nnewline',
        '\u0000nul',
        'KEY',
        'key',
      ];
      await Promise.all(names.map((name, i) => cache.set(key(name), bytes(i))));
      for (const [i, name] of names.entries()) {
        assertBytes(await cache.get(key(name)), bytes(i), `key ${JSON.stringify(name)}`);
      }
    },
  },
  {
    name: 'a missing key reads as undefined',
    async run({ cache, key }) {
      assert.equal(await cache.get(key('never-written')), undefined);
    },
  },
  {
    name: 'set overwrites the previous value',
    async run({ cache, key }) {
      await cache.set(key('o'), text('first, and longer than the second'));
      await cache.set(key('o'), text('second'));
      assertBytes(await cache.get(key('o')), text('second'));
    },
  },
  {
    name: 'remove deletes the entry and removing a missing key is a no-op',
    async run({ cache, key }) {
      await cache.set(key('r'), bytes(1));
      await cache.remove(key('r'));
      assert.equal(await cache.get(key('r')), undefined);
      await cache.remove(key('r'));
      await cache.remove(key('never-written'));
    },
  },
  {
    name: 'refresh of a missing key is a no-op and creates nothing',
    async run({ cache, key }) {
      await cache.refresh(key('missing'));
      assert.equal(await cache.get(key('missing')), undefined);
    },
  },
  {
    name: 'keys are isolated from each other, including keys that prefix one another',
    async run({ cache, key }) {
      await cache.set(key('k'), bytes(1));
      await cache.set(key('k1'), bytes(2));
      await cache.set(key('k:1'), bytes(3));
      await cache.remove(key('k'));
      assert.equal(await cache.get(key('k')), undefined);
      assertBytes(await cache.get(key('k1')), bytes(2));
      assertBytes(await cache.get(key('k:1')), bytes(3));
    },
  },
  {
    name: 'the stored value is independent of the buffers passed in and handed out',
    async run({ cache, key }) {
      const input = bytes(1, 2, 3);
      await cache.set(key('c'), input);
      input[0] = 99;
      const first = await cache.get(key('c'));
      assertBytes(first, bytes(1, 2, 3), 'changing the buffer after set changed the cached value');
      if (first) first[1] = 99;
      const buffer = Buffer.from([4, 5, 6]);
      await cache.set(key('c-buffer'), buffer);
      buffer[0] = 99;
      assertBytes(
        await cache.get(key('c-buffer')),
        bytes(4, 5, 6),
        'changing a Buffer after set changed the cached value',
      );
      assertBytes(await cache.get(key('c')), bytes(1, 2, 3), 'changing a returned buffer changed the cache');
    },
  },
  {
    name: 'concurrent sets to one key leave exactly one of the written values',
    async run({ cache, key }) {
      const values = Array.from({ length: 20 }, (_, i) => new Uint8Array(4096).fill(i + 1));
      await Promise.all(values.map((value) => cache.set(key('race'), value)));
      const got = await cache.get(key('race'));
      assert.ok(got !== undefined, 'the value written concurrently is missing');
      assert.ok(
        values.some((value) => Buffer.from(value).equals(Buffer.from(got))),
        'the value is not any single one of the values written (torn or merged write)',
      );
    },
  },
  {
    name: 'concurrent operations on different keys do not interfere',
    async run({ cache, key }) {
      const names = Array.from({ length: 50 }, (_, i) => `many-${i}`);
      await Promise.all(names.map((name, i) => cache.set(key(name), text(`value ${i}`))));
      const got = await Promise.all(names.map((name) => cache.get(key(name))));
      for (const [i, value] of got.entries()) assertBytes(value, text(`value ${i}`));
    },
  },
  {
    name: 'an aborted signal rejects every operation and changes nothing',
    async run({ cache, key }) {
      await cache.set(key('a'), bytes(1));
      await expectAborted((signal) => cache.get(key('a'), { signal }), 'get');
      await expectAborted((signal) => cache.set(key('a'), bytes(2), undefined, { signal }), 'set');
      await expectAborted((signal) => cache.refresh(key('a'), { signal }), 'refresh');
      await expectAborted((signal) => cache.remove(key('a'), { signal }), 'remove');
      assertBytes(await cache.get(key('a')), bytes(1), 'an aborted set or remove changed the entry');
    },
  },
  {
    name: 'bad keys and values are rejected with a clear error',
    async run({ cache }) {
      const untyped = cache as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      for (const op of ['get', 'refresh', 'remove'] as const) {
        await expectRejects(() => untyped[op]!.call(cache, 42), /key/i, `${op} with a number key`);
        await expectRejects(() => untyped[op]!.call(cache, undefined), /key/i, `${op} with an undefined key`);
      }
      await expectRejects(
        () => untyped.set!.call(cache, 'k', 'a string'),
        /Uint8Array/,
        'set with a string value',
      );
      await expectRejects(() => untyped.set!.call(cache, 'k', null), /Uint8Array/, 'set with a null value');
      await expectRejects(() => untyped.set!.call(cache, 42, bytes(1)), /key/i, 'set with a number key');
    },
  },
  {
    name: 'invalid expiration options are rejected with errors naming the option',
    async run({ cache, key, timing }) {
      const k = key('bad-options');
      await expectRejects(
        () => cache.set(k, bytes(1), { absoluteExpiration: new Date(timing.now() - 60_000) }),
        /absoluteExpiration/,
        'an absolute expiration in the past',
      );
      await expectRejects(
        () => cache.set(k, bytes(1), { slidingExpiration: 0 }),
        /slidingExpiration/,
        'a zero sliding expiration',
      );
      await expectRejects(
        () => cache.set(k, bytes(1), { slidingExpiration: -5 }),
        /slidingExpiration/,
        'a negative sliding expiration',
      );
      await expectRejects(
        () => cache.set(k, bytes(1), { absoluteExpirationRelativeToNow: -1000 }),
        /absoluteExpirationRelativeToNow/,
        'a negative relative expiration',
      );
      await expectRejects(
        () => cache.set(k, bytes(1), { slidingExpiration: 'soon' }),
        /slidingExpiration/,
        'an unparseable duration',
      );
      assert.equal(await cache.get(k), undefined, 'a rejected set must not store anything');
    },
  },
  // The timed cases below sleep for real on servers that keep time themselves. Each read is checked only when
  // it ran inside the window where the contract decides it (see TimedSteps); windows are derived from when
  // the writes and renewals before it really ran, so a delay anywhere makes the case inconclusive, not wrong.
  {
    name: 'an absolute expiration ends the entry at that time',
    timed: true,
    async run({ cache, key, timing }) {
      const u = timing.unitMs;
      const steps = new TimedSteps(timing);
      const expiresAt = timing.now() + 2 * u;
      await cache.set(key('abs'), bytes(1), { absoluteExpiration: new Date(expiresAt) });
      await timing.advance(u);
      const early = await steps.run(() => cache.get(key('abs')));
      steps.expectPresent(early, { before: expiresAt }, bytes(1), 'expired too early');
      await timing.advance(2 * u);
      const late = await steps.run(() => cache.get(key('abs')));
      steps.expectAbsent(late, { after: expiresAt }, 'still there after the absolute expiration');
    },
  },
  {
    name: 'an expiration relative to now ends the entry that long after the write',
    timed: true,
    async run({ cache, key, timing }) {
      const u = timing.unitMs;
      const steps = new TimedSteps(timing);
      const write = await steps.run(() =>
        cache.set(key('rel'), bytes(1), { absoluteExpirationRelativeToNow: 2 * u }),
      );
      await timing.advance(u);
      const early = await steps.run(() => cache.get(key('rel')));
      steps.expectPresent(early, { before: write.start + 2 * u }, bytes(1), 'expired too early');
      await timing.advance(2 * u);
      const late = await steps.run(() => cache.get(key('rel')));
      steps.expectAbsent(late, { after: write.end + 2 * u }, 'still there after the relative expiration');
    },
  },
  {
    name: 'a sliding expiration is extended by get',
    timed: true,
    async run({ cache, key, timing }) {
      const u = timing.unitMs;
      const steps = new TimedSteps(timing);
      const write = await steps.run(() =>
        cache.set(key('slide-get'), bytes(1), { slidingExpiration: 2 * u }),
      );
      await timing.advance(u);
      const renewal = await steps.run(() => cache.get(key('slide-get')));
      steps.expectPresent(
        renewal,
        { before: write.start + 2 * u },
        bytes(1),
        'expired before its sliding window',
      );
      await timing.advance(1.5 * u);
      // Past the window the write gave, inside the one the renewal gave.
      const extended = await steps.run(() => cache.get(key('slide-get')));
      steps.expectPresent(
        extended,
        { after: write.end + 2 * u, before: renewal.start + 2 * u },
        bytes(1),
        'get did not extend the sliding window',
      );
      await timing.advance(2.5 * u);
      const unused = await steps.run(() => cache.get(key('slide-get')));
      steps.expectAbsent(
        unused,
        { after: extended.end + 2 * u },
        'still there after the sliding window passed unused',
      );
    },
  },
  {
    name: 'a sliding expiration is extended by refresh',
    timed: true,
    async run({ cache, key, timing }) {
      const u = timing.unitMs;
      const steps = new TimedSteps(timing);
      const write = await steps.run(() =>
        cache.set(key('slide-refresh'), bytes(1), { slidingExpiration: 2 * u }),
      );
      await timing.advance(u);
      const renewal = await steps.run(() => cache.refresh(key('slide-refresh')));
      // A refresh that ran after the write's window had passed renewed nothing: no conclusion to draw.
      if (renewal.end > write.start + 2 * u - 0.1 * u) {
        throw new InconclusiveStepError('the refresh ran after the sliding window of the write');
      }
      await timing.advance(1.5 * u);
      const extended = await steps.run(() => cache.get(key('slide-refresh')));
      steps.expectPresent(
        extended,
        { after: write.end + 2 * u, before: renewal.start + 2 * u },
        bytes(1),
        'refresh did not extend the sliding window',
      );
      await timing.advance(2.5 * u);
      const unused = await steps.run(() => cache.get(key('slide-refresh')));
      steps.expectAbsent(
        unused,
        { after: extended.end + 2 * u },
        'still there after the sliding window passed',
      );
    },
  },
  {
    name: 'a sliding expiration never outlives the absolute expiration',
    timed: true,
    async run({ cache, key, timing }) {
      const u = timing.unitMs;
      const steps = new TimedSteps(timing);
      const write = await steps.run(() =>
        cache.set(key('capped'), bytes(1), {
          slidingExpiration: 2 * u,
          absoluteExpirationRelativeToNow: 3 * u,
        }),
      );
      await timing.advance(1.5 * u);
      const first = await steps.run(() => cache.get(key('capped')));
      steps.expectPresent(first, { before: write.start + 2 * u }, bytes(1), 'expired too early');
      await timing.advance(u);
      const second = await steps.run(() => cache.get(key('capped')));
      steps.expectPresent(
        second,
        { before: Math.min(first.start + 2 * u, write.start + 3 * u) },
        bytes(1),
        'expired before the absolute expiration',
      );
      await timing.advance(u);
      // Past the absolute expiration, inside the sliding window the last get would have given.
      const capped = await steps.run(() => cache.get(key('capped')));
      steps.expectAbsent(
        capped,
        { after: write.end + 3 * u, before: second.start + 2 * u },
        'sliding renewals outlived the absolute expiration',
      );
    },
  },
  {
    name: 'the optional capabilities the provider declares are the ones it has',
    async run({ cache, conditionalSet }) {
      assert.equal(
        supportsConditionalSet(cache),
        conditionalSet,
        conditionalSet
          ? 'the test declares conditionalSet, but the cache has no setIfUnchanged method'
          : 'the cache has setIfUnchanged: declare conditionalSet: true so that the suite tests it',
      );
    },
  },
  {
    name: 'setIfUnchanged writes only over the bytes the caller read, or over no entry',
    requires: 'conditionalSet',
    async run({ cache, key }) {
      assert.ok(supportsConditionalSet(cache));
      const k = key('cas');
      assert.equal(
        await cache.setIfUnchanged(k, text('one'), undefined),
        true,
        'a first write over no entry',
      );
      assertBytes(await cache.get(k), text('one'));
      assert.equal(
        await cache.setIfUnchanged(k, text('two'), undefined),
        false,
        'over an entry, expecting none',
      );
      assert.equal(await cache.setIfUnchanged(k, text('two'), text('other')), false, 'over other bytes');
      assertBytes(await cache.get(k), text('one'), 'a refused write changed the entry');
      // A read renews a sliding entry; the entry's value, which is what is compared, is unchanged.
      assert.equal(await cache.setIfUnchanged(k, text('two'), text('one')), true, 'over the bytes read');
      assertBytes(await cache.get(k), text('two'));
      await cache.remove(k);
      assert.equal(await cache.setIfUnchanged(k, text('three'), text('two')), false, 'over a removed entry');
      assert.equal(await cache.get(k), undefined, 'a refused write created the entry');
      assert.equal(
        await cache.setIfUnchanged(k, text('three'), undefined),
        true,
        'over a removed entry, expecting none',
      );
      const big = new Uint8Array(256 * 1024).fill(7);
      assert.equal(await cache.setIfUnchanged(k, big, text('three')), true);
      assert.equal(await cache.setIfUnchanged(k, text('four'), big), true, 'over a large value read');
    },
  },
  {
    name: 'concurrent read-modify-write loops with setIfUnchanged lose no update',
    requires: 'conditionalSet',
    async run({ cache, key }) {
      assert.ok(supportsConditionalSet(cache));
      const k = key('counter');
      const increment = async () => {
        for (let attempt = 0; attempt < 200; attempt++) {
          const read = await cache.get(k);
          const next = read === undefined ? 1 : Number(new TextDecoder().decode(read)) + 1;
          if (await cache.setIfUnchanged(k, text(String(next)), read)) return;
        }
        throw new Error('an increment found the entry changed 200 times in a row');
      };
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          for (let i = 0; i < 5; i++) await increment();
        }),
      );
      assert.equal(new TextDecoder().decode(await cache.get(k)), '50', 'increments were lost');
    },
  },
  {
    name: 'publishes each operation on the sharedstate.cache.operation tracing channel, never the key or value',
    requires: 'diagnostics',
    async run({ cache, key, diagnostics, conditionalSet }) {
      assert.ok(diagnostics);
      const k = key('traced');
      const secret = 'conformance-secret-value';
      const seen: { phase: string; event: CacheOperationEvent }[] = [];
      const record = (phase: string) => (message: unknown) => {
        const event = message as CacheOperationEvent;
        // Sweeps run on timers of their own; only this case's calls are checked.
        if (event.provider === diagnostics.provider && event.operation !== 'sweep')
          seen.push({ phase, event: { ...event } });
      };
      const handlers = {
        start: record('start'),
        end: record('end'),
        asyncStart: record('asyncStart'),
        asyncEnd: record('asyncEnd'),
        error: record('error'),
      };
      const channel = tracingChannel(CACHE_OPERATION_CHANNEL);
      channel.subscribe(handlers);
      try {
        await cache.set(k, text(secret));
        await cache.get(k);
        await cache.get(key('absent'));
        await cache.refresh(k);
        await cache.remove(k);
        if (conditionalSet && supportsConditionalSet(cache)) {
          await cache.setIfUnchanged(k, text(secret), undefined);
          await cache.setIfUnchanged(k, text(secret), undefined);
          await cache.remove(k);
        }
        await cache.get('').then(
          () => assert.fail('a get of an empty key should reject'),
          () => {},
        );
      } finally {
        channel.unsubscribe(handlers);
      }
      const ended = seen.filter(({ phase }) => phase === 'asyncEnd').map(({ event }) => event);
      assert.deepEqual(
        ended.map(({ operation, outcome }) => `${operation} ${outcome}`),
        [
          'set ok',
          'get hit',
          'get miss',
          'refresh ok',
          'remove ok',
          ...(conditionalSet ? ['setIfUnchanged written', 'setIfUnchanged conflict', 'remove ok'] : []),
          'get error',
        ],
        'one asyncEnd per operation, with its outcome',
      );
      assert.equal(
        seen.filter(({ phase }) => phase === 'start').length,
        ended.length,
        'one start per operation',
      );
      const failed = seen.filter(({ phase }) => phase === 'error');
      assert.equal(failed.length, 1, 'one error event, for the failed get');
      assert.ok(failed[0]?.event.error instanceof Error, 'the error event carries the failure');
      for (const { event } of seen) {
        assert.equal(event.system, diagnostics.system);
        // The key's length only: of `k`, of the absent key, or 0 for the empty key.
        assert.ok([k.length, key('absent').length, 0].includes(event.keyLength), 'keyLength');
      }
      const published = JSON.stringify(seen.map(({ event }) => ({ ...event, error: undefined })));
      assert.ok(!published.includes(k) && !published.includes(secret), 'no key or value in any event');
    },
  },
];
