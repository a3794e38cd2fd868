import { packageBuild } from '@sharedstate/build-config/tsup';
import { defineConfig } from 'tsup';

// Two entries over one set of modules: split into shared chunks, so that the Session and the error classes an
// app gets from the main entry are the very ones the adapter kit's SessionHandler makes and throws.
export default defineConfig({ ...packageBuild(['src/index.ts', 'src/adapter.ts']), splitting: true });
