import { fileURLToPath } from 'node:url';
import type { Options } from 'tsup';

/**
 * The private package whose helpers are compiled into each published package that uses them (JavaScript
 * and declarations), as ASP.NET Core compiles its shared sources into each assembly: see CONTRIBUTING.md.
 */
const SHARED_HELPERS = '@sharedstate/shared-helpers';
const SHARED_HELPERS_SOURCE = fileURLToPath(new URL('../shared-helpers/src/index.ts', import.meta.url));

/**
 * One build recipe for every published package: ESM + CJS + declarations, Node 22. Dependencies stay
 * imports; only the private shared helpers are bundled in.
 */
export function packageBuild(entry: string[]): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    noExternal: [SHARED_HELPERS],
    // composite is for the tsc --build typecheck; the declaration bundler wants a plain program. Members
    // marked @internal serve the packages' own wiring and stay out of the published types.
    dts: {
      compilerOptions: {
        composite: false,
        incremental: false,
        stripInternal: true,
        rootDir: fileURLToPath(new URL('..', import.meta.url)),
        // The helpers' declarations are read as this package's own sources, so they are inlined too.
        paths: { [SHARED_HELPERS]: [SHARED_HELPERS_SOURCE] },
      },
    },
    clean: true,
    // No source maps: they would point at sources the packages do not ship, and doubled their size.
    sourcemap: false,
    target: 'node22',
    // import.meta.url in the CommonJS build (caching-redis loads its optional ioredis peer through it).
    shims: true,
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
}
