import type { DistributedCache } from '@sharedstate/caching-abstractions';
import type { Clock, LogThrottle } from '@sharedstate/shared-helpers';

/** .NET's key for a tag's invalidation time in L2: this prefix, then the tag. */
export const TAG_KEY_PREFIX = '__MSFT_HCT__';
/** The tag that invalidates every entry. */
export const WILDCARD_TAG = '*';
/** How long a tag's invalidation time is kept in L2 (.NET's MaxCacheDays). */
const TAG_LIFETIME = '1000d';
/**
 * Tags whose times are kept in memory at most: per-entity tags (`product:42`) would otherwise grow the map
 * without end. Past it, the times first learned are forgotten (with a distributed cache they are read again
 * when next needed).
 */
const MAX_TAGS = 50_000;

interface TagState {
  /** Entries created at or before this (UTC ticks) are invalid; 0 when never invalidated. */
  ticks: bigint;
  /** When L2 was last read for it (epoch ms); undefined for a tag known only locally. */
  readAt: number | undefined;
  pending: Promise<bigint> | undefined;
}

/**
 * When each tag was last invalidated, here or (read from L2) anywhere: .NET's `__MSFT_HCT__<tag>` entries.
 * Unlike .NET, which reads a tag once per process, a tag is read again once `refreshMs` has passed, so an
 * invalidation by an instance without the bus (a .NET one) is seen within that bound.
 */
export class TagInvalidations {
  readonly #states = new Map<string, TagState>();
  readonly #l2: DistributedCache | undefined;
  readonly #clock: Clock;
  readonly #refreshMs: number;
  readonly #log: LogThrottle;
  readonly #nowTicks: () => bigint;
  /** Moves on every change of a known time: an entry checked at this epoch need not be checked again. */
  epoch = 0;

  constructor(
    l2: DistributedCache | undefined,
    clock: Clock,
    refreshMs: number,
    log: LogThrottle,
    nowTicks: () => bigint,
  ) {
    this.#l2 = l2;
    this.#clock = clock;
    this.#refreshMs = refreshMs;
    this.#log = log;
    this.#nowTicks = nowTicks;
  }

  /** Tags whose times are held in memory. */
  get size(): number {
    return this.#states.size;
  }

  /** Whether every time a check of `tags` (and the wildcard) depends on is known and fresh. */
  fresh(tags: readonly string[]): boolean {
    if (!this.#isFresh(WILDCARD_TAG)) return false;
    for (const tag of tags) if (!this.#isFresh(tag)) return false;
    return true;
  }

  /**
   * Whether an entry created at `creationTicks` with `tags` was invalidated since (by a tag or the
   * wildcard): at once when every time it depends on is fresh, else once the stale ones are read.
   */
  isInvalidated(creationTicks: bigint, tags: readonly string[]): boolean | Promise<boolean> {
    if (this.fresh(tags)) {
      if (creationTicks <= (this.#states.get(WILDCARD_TAG)?.ticks ?? 0n)) return true;
      for (const tag of tags) if (creationTicks <= (this.#states.get(tag)?.ticks ?? 0n)) return true;
      return false;
    }
    return this.#isInvalidatedAfterReads(creationTicks, tags);
  }

  async #isInvalidatedAfterReads(creationTicks: bigint, tags: readonly string[]): Promise<boolean> {
    if (creationTicks <= (await this.#timeOf(WILDCARD_TAG))) return true;
    for (const tag of tags) if (creationTicks <= (await this.#timeOf(tag))) return true;
    return false;
  }

  /** Records an invalidation (made here, or heard on the bus); never moves a known time back. */
  invalidate(tag: string, ticks: bigint): void {
    const state = this.#states.get(tag);
    if (state === undefined) {
      this.#add(tag, { ticks, readAt: undefined, pending: undefined });
    } else if (ticks > state.ticks) {
      state.ticks = ticks;
    } else {
      return;
    }
    this.epoch++;
  }

  /** Writes the invalidation where .NET instances (and ours without the bus) read it. */
  async store(tag: string, ticks: bigint): Promise<void> {
    if (this.#l2 === undefined) return;
    const bytes = Buffer.alloc(8);
    bytes.writeBigInt64LE(ticks);
    await this.#l2.set(`${TAG_KEY_PREFIX}${tag}`, new Uint8Array(bytes), {
      absoluteExpirationRelativeToNow: TAG_LIFETIME,
    });
  }

  /** Forgets what was read from L2 (after the bus missed messages): each tag is read again when next needed. */
  forgetReads(): void {
    for (const state of this.#states.values()) state.readAt = undefined;
    this.epoch++;
  }

  #add(tag: string, state: TagState): void {
    this.#states.set(tag, state);
    // Without a distributed cache a forgotten time could not be read again: kept, however many.
    if (this.#l2 === undefined || this.#states.size <= MAX_TAGS) return;
    for (const [known, held] of this.#states) {
      if (this.#states.size <= MAX_TAGS * 0.9) break;
      if (known !== WILDCARD_TAG && known !== tag && held.pending === undefined) this.#states.delete(known);
    }
    // Entries checked against a forgotten time are checked again (and it is read again).
    this.epoch++;
  }

  #isFresh(tag: string): boolean {
    if (this.#l2 === undefined) return true;
    const state = this.#states.get(tag);
    return state?.readAt !== undefined && this.#clock.now() - state.readAt < this.#refreshMs;
  }

  async #timeOf(tag: string): Promise<bigint> {
    if (this.#l2 === undefined || this.#isFresh(tag)) return this.#states.get(tag)?.ticks ?? 0n;
    let state = this.#states.get(tag);
    if (state === undefined) {
      state = { ticks: 0n, readAt: undefined, pending: undefined };
      this.#add(tag, state);
    }
    if (state.pending === undefined) {
      const reading = state;
      reading.pending = this.#read(tag).then((read) => {
        reading.pending = undefined;
        // A failed read keeps a time read before (the best known); a tag never read is taken as
        // invalidated now, as .NET takes it: an entry must not outlive an invalidation nobody could see.
        const ticks = read ?? (reading.readAt === undefined ? this.#nowTicks() : reading.ticks);
        reading.readAt = this.#clock.now();
        if (ticks > reading.ticks) {
          reading.ticks = ticks;
          this.epoch++;
        }
        return reading.ticks;
      });
    }
    return state.pending!;
  }

  /** The time in L2; undefined when it could not be read. */
  async #read(tag: string): Promise<bigint | undefined> {
    try {
      const bytes = await this.#l2!.get(`${TAG_KEY_PREFIX}${tag}`);
      if (bytes === undefined) return 0n;
      if (bytes.byteLength === 8) return Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigInt64LE(0);
      this.#log.log(
        'warn',
        'tag-format',
        `The tag entry ${TAG_KEY_PREFIX}${tag} is not 8 bytes: its entries are treated as invalidated now.`,
      );
      return this.#nowTicks();
    } catch (error) {
      this.#log.log(
        'warn',
        'tag-read',
        `Reading the invalidation time of tag '${tag}' from the distributed cache failed (the last time read stands; a tag never read counts as invalidated now): ${(error as Error).message}`,
      );
      return undefined;
    }
  }
}
