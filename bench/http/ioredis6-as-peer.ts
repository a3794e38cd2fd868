// Preloaded (node --import) into a benchmark server whose sessions run on ioredis 6: every `ioredis` of the
// app and of the packages is then ioredis 6, as in an app whose only ioredis is the one a fresh
// `npm install ioredis` gives. A dependency with its own ioredis (koa-redis's ioredis 4) keeps it, as it would
// in the app. Without this the packages resolve the ioredis 5 they are developed against.
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

const ioredis6 = fileURLToPath(import.meta.resolve('ioredis6'));
registerHooks({
  resolve: (specifier, context, nextResolve) =>
    nextResolve(
      specifier === 'ioredis' && !context.parentURL?.includes('/node_modules/') ? ioredis6 : specifier,
      context,
    ),
});
