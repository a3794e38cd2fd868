import type { Clock } from '@sharedstate/shared-helpers';
import type { ConformanceTiming } from './conformance-options.ts';

/** A clock that only moves when told to: for providers that accept an injected clock. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number | Date = Date.UTC(2030, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`A clock only moves forward; got ${ms} ms.`);
    this.#now += ms;
  }

  /** Conformance timing driven by this clock: no case sleeps. */
  timing(unitMs = 60_000): ConformanceTiming {
    return { unitMs, now: () => this.now(), advance: (ms) => this.advance(ms) };
  }
}
