/** .NET's DateTime ticks (100 ns) at the Unix epoch. */
const EPOCH_TICKS = 621_355_968_000_000_000n;
const TICKS_PER_MS = 10_000n;

/** UTC ticks as .NET counts them (DateTimeOffset.UtcTicks) for a time in epoch milliseconds. */
export function ticksOf(epochMs: number): bigint {
  return BigInt(Math.trunc(epochMs)) * TICKS_PER_MS + EPOCH_TICKS;
}

/** A duration in milliseconds as .NET ticks. */
export function durationTicksOf(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * TICKS_PER_MS;
}

/** Ticks as epoch milliseconds (for a remaining lifetime: a difference of ticks as milliseconds). */
export function msOfTicks(ticks: bigint): number {
  return Number(ticks / TICKS_PER_MS);
}

export function epochMsOfTicks(ticks: bigint): number {
  return Number((ticks - EPOCH_TICKS) / TICKS_PER_MS);
}
