import { packageBuild } from '@sharedstate/build-config/tsup';
import { defineConfig } from 'tsup';

export default defineConfig([
  packageBuild(['src/index.ts']),
  // The CLI: ESM only, with its shebang, no declarations.
  { ...packageBuild(['src/cli.ts']), format: ['esm'], dts: false, clean: false },
]);
