import type { Options } from 'tsup';

/** One build recipe for every published package: ESM + CJS + declarations, Node 22, no bundled deps. */
export function packageBuild(entry: string[]): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    // composite is for the tsc --build typecheck; the declaration bundler wants a plain program.
    dts: { compilerOptions: { composite: false, incremental: false } },
    clean: true,
    sourcemap: true,
    target: 'node22',
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
}
