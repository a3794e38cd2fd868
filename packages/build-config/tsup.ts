import type { Options } from 'tsup';

/** One build recipe for every published package: ESM + CJS + declarations, Node 22, no bundled deps. */
export function packageBuild(entry: string[]): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    // composite is for the tsc --build typecheck; the declaration bundler wants a plain program. Members
    // marked @internal serve the packages' own wiring and stay out of the published types.
    dts: { compilerOptions: { composite: false, incremental: false, stripInternal: true } },
    clean: true,
    // No source maps: they would point at sources the packages do not ship, and doubled their size.
    sourcemap: false,
    target: 'node22',
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
}
