import { packageBuild } from '@sharedstate/build-config/tsup';
import { defineConfig } from 'tsup';

// One entry per framework over one set of modules: split into shared chunks, so that the classes an app
// gets from the main entry are the very ones the framework helpers make and throw.
export default defineConfig({
  ...packageBuild([
    'src/index.ts',
    'src/express.ts',
    'src/koa.ts',
    'src/hono.ts',
    'src/fastify.ts',
    'src/passport.ts',
  ]),
  splitting: true,
});
