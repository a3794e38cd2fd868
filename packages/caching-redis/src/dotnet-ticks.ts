// .NET ticks: 100-nanosecond units. DateTimeOffset ticks count from 0001-01-01; the Unix epoch is this many.
const EPOCH_TICKS = 621_355_968_000_000_000n;
const TICKS_PER_MS = 10_000n;

/** Epoch milliseconds as DateTimeOffset.UtcTicks, the `absexp` field. */
export function epochMsToTicks(ms: number): string {
  return (BigInt(Math.round(ms)) * TICKS_PER_MS + EPOCH_TICKS).toString();
}

/** Milliseconds as TimeSpan.Ticks, the `sldexp` field. */
export function durationMsToTicks(ms: number): string {
  return (BigInt(Math.round(ms)) * TICKS_PER_MS).toString();
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
