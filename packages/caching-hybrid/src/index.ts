export { HybridCache } from './hybrid-cache.ts';
export {
  HybridCacheEntryFlags,
  type HybridCacheEntryOptions,
  type HybridCacheOptions,
  type HybridSerializerChoice,
} from './hybrid-cache-options.ts';
export {
  type HybridPayload,
  type PayloadRejection,
  readHybridPayload,
  writeHybridPayload,
} from './hybrid-payload.ts';
export {
  bytesSerializer,
  type HybridCacheSerializer,
  type JsonPropertyNaming,
  jsonSerializer,
  stringSerializer,
} from './hybrid-serializers.ts';
export { TAG_KEY_PREFIX, WILDCARD_TAG } from './tag-invalidations.ts';
