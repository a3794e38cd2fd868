import { packageBuild } from '@sharedstate/build-config/tsup';
import { defineConfig } from 'tsup';

// The suite's entry shares the cache's modules (one HybridCache class), in chunks of their own.
export default defineConfig({ ...packageBuild(['src/index.ts', 'src/testing/index.ts']), splitting: true });
