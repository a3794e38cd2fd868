// The rules of CONTRIBUTING.md's "Architecture" that a program can check: which package may use which, and
// no import cycle inside any package.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const PACKAGES = fileURLToPath(new URL('../..', import.meta.url));
const SHARED_HELPERS = '@sharedstate/shared-helpers';

interface Manifest {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const packages = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const dir = join(PACKAGES, entry.name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    return { dir, folder: entry.name, manifest };
  })
  .filter(({ folder }) => readdirSync(join(PACKAGES, folder)).includes('src'));

/** What a package's users install with it: its dependencies and peers. */
const installedWith = (manifest: Manifest) =>
  Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });

/**
 * A module specifier of a @sharedstate package in TypeScript source: `import … from`, `export … from`, a bare
 * `import '…'`, and a dynamic `import('…')` (an optional peer loaded when the user configured it).
 */
const SHARED_STATE_SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](@sharedstate\/[a-z-]+)/g;

/** The @sharedstate packages a TypeScript text imports, statically or dynamically. */
const importsIn = (text: string): string[] =>
  [...text.matchAll(SHARED_STATE_SPECIFIER)].map((match) => match[1]!);

/** The @sharedstate packages a package's sources import (test helpers under src/testing included). */
function sharedstateImports(dir: string): Set<string> {
  const found = new Set<string>();
  const files = readdirSync(join(dir, 'src'), { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.ts'),
  );
  for (const file of files) {
    for (const name of importsIn(readFileSync(join(dir, 'src', file), 'utf8'))) found.add(name);
  }
  return found;
}

test('every kind of import of a sharedstate package is seen', () => {
  const text = [
    "import { a } from '@sharedstate/one';",
    "export { b } from '@sharedstate/two/testing';",
    "import '@sharedstate/three';",
    "const { C } = await import('@sharedstate/four');",
    'const d = await import(\n  "@sharedstate/five"\n);',
  ].join('\n');
  expect(importsIn(text)).toEqual([
    '@sharedstate/one',
    '@sharedstate/two',
    '@sharedstate/three',
    '@sharedstate/four',
    '@sharedstate/five',
  ]);
  // dataprotection-cli loads the repository a user names with import(): those count as its imports.
  expect([...sharedstateImports(byName('dataprotection-cli').dir)]).toEqual(
    expect.arrayContaining(['@sharedstate/dataprotection-redis', '@sharedstate/dataprotection-postgres']),
  );
});

const published = packages.filter(({ manifest }) => manifest.private !== true);
const byName = (name: string) => packages.find(({ manifest }) => manifest.name === `@sharedstate/${name}`)!;

describe('dependencies point one way', () => {
  test.each(published.map(({ folder, dir, manifest }) => [folder, dir, manifest] as const))(
    '%s imports only packages its users install with it (or the bundled shared helpers)',
    (_folder, dir, manifest) => {
      const allowed = new Set([...installedWith(manifest), SHARED_HELPERS, manifest.name]);
      expect([...sharedstateImports(dir)].filter((name) => !allowed.has(name))).toEqual([]);
    },
  );

  test.each(published.map(({ folder, manifest }) => [folder, manifest] as const))(
    '%s bundles the shared helpers instead of depending on them',
    (_folder, manifest) => {
      expect(installedWith(manifest)).not.toContain(SHARED_HELPERS);
    },
  );

  test('the abstractions depend on no other sharedstate package', () => {
    for (const name of ['caching-abstractions', 'dataprotection-abstractions']) {
      expect(installedWith(byName(name).manifest).filter((dep) => dep.startsWith('@sharedstate/'))).toEqual(
        [],
      );
    }
  });

  test('session-core and the adapters depend on the abstractions and session-core only', () => {
    const allowed = new Set([
      '@sharedstate/caching-abstractions',
      '@sharedstate/dataprotection-abstractions',
      '@sharedstate/session-core',
    ]);
    const sessionPackages = packages.filter(({ folder }) => folder.startsWith('session-'));
    expect(sessionPackages.map(({ folder }) => folder)).toEqual(
      expect.arrayContaining(['session-core', 'session-express', 'session-koa', 'session-hono']),
    );
    for (const { manifest } of sessionPackages) {
      const sharedstate = installedWith(manifest).filter((dep) => dep.startsWith('@sharedstate/'));
      expect({ [manifest.name]: sharedstate.filter((dep) => !allowed.has(dep)) }).toEqual({
        [manifest.name]: [],
      });
    }
  });
});

describe('no import cycles', () => {
  test.each(packages.map(({ folder, dir }) => [folder, dir] as const))(
    "%s's src/ has none",
    async (_folder, dir) => {
      // Type-only imports are erased: a class and the record that holds it may name each other's types.
      const graph = await madge(join(dir, 'src'), {
        fileExtensions: ['ts'],
        detectiveOptions: { ts: { skipTypeImports: true } },
      });
      expect(graph.circular()).toEqual([]);
    },
  );
});
