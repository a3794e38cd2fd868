import { packageBuild } from '@sharedstate/build-config/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(packageBuild(['src/index.ts']));
