import { createRequire } from 'node:module';
import { withIoredis6AsPeer } from '@sharedstate/build-config/jest';

// The Redis suites run again with ioredis 6 as the package's peer, as a fresh install gives an app.
export default withIoredis6AsPeer(
  ['redis-cache.conformance.test.ts', 'command-batching.test.ts', 'faults.test.ts', 'cut-updates.test.ts'],
  createRequire(import.meta.url).resolve('ioredis6'),
);
