import type {
  Attributes,
  Meter,
  MetricOptions,
  ObservableCounter,
  ObservableResult,
} from '@opentelemetry/api';

/**
 * A counter whose increments cost one Map lookup, read by the SDK at each collection (an ObservableCounter).
 * A synchronous counter makes the SDK hash its attributes on every add, a few microseconds each: too much
 * for counts taken on every request.
 */
export class ObservedCounts {
  readonly #counts = new Map<string, { attributes: Attributes; value: number }>();
  readonly #counter: ObservableCounter;
  readonly #observe = (result: ObservableResult) => {
    for (const { attributes, value } of this.#counts.values()) result.observe(value, attributes);
  };

  constructor(meter: Meter, name: string, options: MetricOptions) {
    this.#counter = meter.createObservableCounter(name, options);
    this.#counter.addCallback(this.#observe);
  }

  /** Counts one under `key`, whose attributes `attributes` makes the first time the key is seen. */
  add(key: string, attributes: () => Attributes): void {
    const count = this.#counts.get(key);
    if (count === undefined) this.#counts.set(key, { attributes: attributes(), value: 1 });
    else count.value++;
  }

  stop(): void {
    this.#counter.removeCallback(this.#observe);
  }
}

/** An ObservedCounts on `meter`, or none when metrics are off. */
export function observedCounts(
  meter: Meter | undefined,
  name: string,
  description: string,
  unit: string,
): ObservedCounts | undefined {
  return meter && new ObservedCounts(meter, name, { description, unit });
}
