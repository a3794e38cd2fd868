import assert from 'node:assert/strict';
import type { ConformanceTiming } from './conformance-options.ts';

/**
 * Thrown by a timed step that the machine delayed past its margin: the contract does not decide what the
 * provider should have shown at the time the step really ran, so the step proves nothing either way.
 * The runner repeats the case with a longer unit instead of calling it failed.
 */
export class InconclusiveStepError extends Error {
  override name = 'InconclusiveStepError';
}

/** The provider's time just before and just after one operation: the provider acted somewhere in between. */
export interface Span<T> {
  start: number;
  end: number;
  result: T;
}

/**
 * The times, in the provider's clock, between which the contract decides a read: `after` the moment an entry
 * has certainly expired, `before` the moment it certainly still lives. Either may be open.
 */
export interface DecidedWindow {
  after?: number;
  before?: number;
}

/** A tenth of a unit either side of a window, for providers that keep time coarser than a millisecond. */
const SLACK_UNITS = 0.1;

/**
 * Runs a timed case's operations, recording when each one ran, and checks each read only when it ran
 * inside the window where the contract decides its outcome. Sleeping longer than asked (a busy machine,
 * a garbage collection, a slow server) moves a read out of its window; it is then inconclusive, never a
 * false failure and never a pass that proves nothing.
 */
export class TimedSteps {
  readonly #timing: ConformanceTiming;

  constructor(timing: ConformanceTiming) {
    this.#timing = timing;
  }

  async run<T>(operation: () => Promise<T>): Promise<Span<T>> {
    const start = this.#timing.now();
    const result = await operation();
    return { start, end: this.#timing.now(), result };
  }

  /** Asserts that the read found bytes equal to `expected`, if the read ran inside `window`. */
  expectPresent(
    read: Span<Uint8Array | undefined>,
    window: DecidedWindow,
    expected: Uint8Array,
    message: string,
  ): void {
    this.#decide(read, window, message);
    assert.ok(read.result instanceof Uint8Array, message);
    assert.deepEqual([...read.result], [...expected], message);
  }

  /** Asserts that the read found nothing, if the read ran inside `window`. */
  expectAbsent(read: Span<Uint8Array | undefined>, window: DecidedWindow, message: string): void {
    this.#decide(read, window, message);
    assert.equal(read.result, undefined, message);
  }

  #decide(read: Span<unknown>, window: DecidedWindow, message: string): void {
    const slack = SLACK_UNITS * this.#timing.unitMs;
    const tooEarly = window.after !== undefined && read.start < window.after + slack;
    const tooLate = window.before !== undefined && read.end > window.before - slack;
    if (tooEarly || tooLate) {
      const at = (time: number | undefined) => (time === undefined ? '…' : String(Math.round(time)));
      throw new InconclusiveStepError(
        `the read for "${message}" ran from ${at(read.start)} to ${at(read.end)} ms, outside the window ` +
          `${at(window.after)}-${at(window.before)} ms (±${slack} ms) where the contract decides it`,
      );
    }
  }
}
