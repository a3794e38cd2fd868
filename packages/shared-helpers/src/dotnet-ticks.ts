// .NET ticks: 100-nanosecond units. DateTimeOffset ticks count from 0001-01-01; the Unix epoch is this many.
// The string forms are the Redis cache's hash fields (its hot path, so no BigInt); the BigInt forms are exact
// Int64 values for binary formats (HybridCache entries, time-limited payloads).
const EPOCH_TICKS = 621_355_968_000_000_000n;
const TICKS_PER_MS = 10_000n;

/** Milliseconds from 0001-01-01 to the Unix epoch: small enough for exact double arithmetic. */
const EPOCH_MS = 62_135_596_800_000;

/** Epoch milliseconds as DateTimeOffset.UtcTicks, the `absexp` field. On the hot path, so no BigInt. */
export function epochMsToTicks(ms: number): string {
  return `${Math.round(ms) + EPOCH_MS}0000`;
}

/** Milliseconds as TimeSpan.Ticks, the `sldexp` field. */
export function durationMsToTicks(ms: number): string {
  const rounded = Math.round(ms);
  return rounded === 0 ? '0' : `${rounded}0000`;
}

/** Reads an `absexp` field back to epoch milliseconds; undefined for -1 (none). */
export function ticksToEpochMs(ticks: string): number | undefined {
  if (ticks === '-1') return undefined;
  return Number((BigInt(ticks) - EPOCH_TICKS) / TICKS_PER_MS);
}

/** Reads an `sldexp` field back to milliseconds; undefined for -1 (none). */
export function ticksToDurationMs(ticks: string): number | undefined {
  if (ticks === '-1') return undefined;
  return Number(BigInt(ticks) / TICKS_PER_MS);
}

/** Epoch milliseconds as UTC ticks (DateTimeOffset.UtcTicks), exactly. */
export function ticksFromEpochMs(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * TICKS_PER_MS + EPOCH_TICKS;
}

/** UTC ticks as epoch milliseconds (rounded toward zero). */
export function epochMsFromTicks(ticks: bigint): number {
  return Number((ticks - EPOCH_TICKS) / TICKS_PER_MS);
}

/** Milliseconds as TimeSpan ticks, exactly. */
export function ticksFromDurationMs(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * TICKS_PER_MS;
}

/** TimeSpan ticks as milliseconds (rounded toward zero). */
export function durationMsFromTicks(ticks: bigint): number {
  return Number(ticks / TICKS_PER_MS);
}
