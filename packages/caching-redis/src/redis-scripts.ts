import { createHash } from 'node:crypto';

/**
 * Server-side scripts, so that a sliding get is one round trip. They only touch KEYS[1], so Redis Cluster
 * never sees a cross-slot call. Times are .NET ticks (100 ns); Lua numbers are doubles, which loses a few
 * microseconds of a tick count and nothing that matters at millisecond TTLs.
 *
 * The TTL rule is ASP.NET Core's: the sliding window, cut short by the absolute expiration; expressed with
 * PEXPIRE so sub-second windows work (ASP.NET Core's EXPIRE truncates to seconds).
 */

/**
 * Lua shared by get and refresh: with `fields` = HMGET absexp sldexp, extends a sliding entry's TTL (cut
 * short by its absolute expiration). Yields the sliding window in ms (-1 for an entry that does not slide),
 * which the client keeps to skip renewing the entry again moments later; false when the entry has already
 * run out (it is deleted).
 */
const SLIDE = `
local function slide(fields)
  local sliding = tonumber(fields[2])
  if not sliding or sliding == -1 then return -1 end
  local ttl = sliding
  local absolute = tonumber(fields[1])
  if absolute and absolute ~= -1 and absolute - tonumber(ARGV[1]) < ttl then ttl = absolute - tonumber(ARGV[1]) end
  local ms = math.floor(ttl / 10000)
  if ms <= 0 then
    redis.call('DEL', KEYS[1])
    return false
  end
  redis.call('PEXPIRE', KEYS[1], ms)
  return math.floor(sliding / 10000)
end
`;

/** ARGV[1] = now in ticks. Returns {data, sliding ms or -1}, or nil; extends a sliding entry. */
const GET_AND_REFRESH = `${SLIDE}
local fields = redis.call('HMGET', KEYS[1], 'absexp', 'sldexp', 'data')
if not fields[3] then return false end
local sliding = slide(fields)
if not sliding then return false end
return {fields[3], sliding}
`;

/** ARGV[1] = now in ticks. Extends a sliding entry; returns its sliding ms (or -1), nil if it is gone. */
const REFRESH = `${SLIDE}
local fields = redis.call('HMGET', KEYS[1], 'absexp', 'sldexp')
if not fields[2] then return false end
return slide(fields)
`;

/** ARGV = absexp, sldexp, ttl in ms (or -1), data. Writes the hash and its TTL. */
const WRITE = `
redis.call('HSET', KEYS[1], 'absexp', ARGV[1], 'sldexp', ARGV[2], 'data', ARGV[4])
if ARGV[3] ~= '-1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('PERSIST', KEYS[1])
end
return 1
`;

/**
 * ARGV as SET's, then the SHA-1 (hex) of the data the caller read, or '' for "no entry", then an id unique
 * to this write: writes only if the entry's data is still that (ConditionalSet), and records the id in the
 * hash's `wid` field. Returns 1 when it wrote, 0 when the entry had changed. Only the hash travels: the data
 * read is not sent back.
 *
 * The id makes a resent write report what happened: a client that lost the reply (a crash, a cut) and sends
 * the same command again after reconnecting (ioredis does) finds its own id and gets 1, not a conflict that
 * the session's merge mode would apply a second time. ASP.NET Core reads only absexp, sldexp and data.
 */
const SET_IF_UNCHANGED = `
local current = redis.call('HMGET', KEYS[1], 'data', 'wid')
if current[2] == ARGV[6] then return 1 end
if ARGV[5] == '' then
  if current[1] then return 0 end
elseif not current[1] or redis.sha1hex(current[1]) ~= ARGV[5] then
  return 0
end
redis.call('HSET', KEYS[1], 'wid', ARGV[6])
${WRITE}`;

/** A script of the cache's: its source, the SHA-1 EVALSHA names it by, and the name ioredis defines it under. */
export interface CacheScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

const script = (name: string, lua: string): CacheScript =>
  Object.freeze({ name, lua, sha: createHash('sha1').update(lua).digest('hex') });

export const GET_AND_REFRESH_SCRIPT = script('sharedstateGetAndRefresh', GET_AND_REFRESH);
export const REFRESH_SCRIPT = script('sharedstateRefresh', REFRESH);
export const SET_IF_UNCHANGED_SCRIPT = script('sharedstateSetIfUnchanged', SET_IF_UNCHANGED);
export const CACHE_SCRIPTS: readonly CacheScript[] = [
  GET_AND_REFRESH_SCRIPT,
  REFRESH_SCRIPT,
  SET_IF_UNCHANGED_SCRIPT,
];
