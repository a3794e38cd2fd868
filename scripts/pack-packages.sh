#!/usr/bin/env bash
# Packs each published package (built already) into the folder given, as npm would install it from the
# registry, and prints the overrides an app needs to install them from there. `./dev pack` builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
destination="$(cd "$1" && pwd)"
for manifest in packages/*/package.json; do
  # Published packages only: the workspace's private helpers are not installable on their own.
  if node -e "process.exit(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).private ? 1 : 0)" "$manifest"; then
    (cd "$(dirname "$manifest")" && pnpm pack --pack-destination "$destination" >/dev/null)
  fi
done
echo "Packages ready to install, in $destination:"
ls "$destination"/*.tgz
# npm and pnpm look for a package's @sharedstate dependencies on the registry, not among the tarballs given
# to them. pnpm takes overrides that point them at the tarballs; npm refuses an override of a package the
# app also installs by path, so with npm the app installs each package with the ones it depends on.
node - "$destination" <<'SCRIPT'
const { readdirSync, readFileSync } = require('node:fs');
const folder = process.argv[2];
const tarballs = {};
for (const file of readdirSync(folder).filter((name) => name.endsWith('.tgz')).sort()) {
  tarballs[`@sharedstate/${file.replace(/^sharedstate-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`] = `${folder}/${file}`;
}
const dependenciesOf = (name) => {
  const manifest = JSON.parse(readFileSync(`packages/${name.slice('@sharedstate/'.length)}/package.json`, 'utf8'));
  return Object.keys(manifest.dependencies ?? {}).filter((dependency) => dependency in tarballs);
};
const closure = (name, seen = new Set()) => {
  if (!seen.has(name)) {
    seen.add(name);
    for (const dependency of dependenciesOf(name)) closure(dependency, seen);
  }
  return seen;
};
console.log('\nWith npm, install a package together with the tarballs of the packages it depends on:');
const needs = {};
for (const name of Object.keys(tarballs)) {
  needs[name] = [...closure(name)].map((each) => tarballs[each]);
  console.log(`  ${name}: npm install ${needs[name].join(' ')}`);
}
const overrides = Object.fromEntries(Object.entries(tarballs).map(([name, path]) => [name, `file:${path}`]));
console.log("\nWith pnpm, add this to the app's package.json, then pnpm add the tarballs you need:");
console.log(JSON.stringify({ pnpm: { overrides } }, null, 2));
console.log('\nAs JSON, for scripts:');
console.log(JSON.stringify({ npm: needs, pnpm: { overrides } }));
SCRIPT
