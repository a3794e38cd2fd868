export {
  DEFAULT_KEY_RING_KEY,
  RedisXmlRepository,
  type RedisXmlRepositoryOptions,
} from './redis-xml-repository.ts';
