// What the quick start's install puts into node_modules: our packages, packed as they would be published and
// installed with npm into a scratch app, beside express-session + connect-redis installed the same way.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The quick start's packages and the workspace packages they depend on. */
const OURS = [
  'caching-abstractions',
  'caching-redis',
  'dataprotection-abstractions',
  'dataprotection-core',
  'dataprotection-redis',
  'session-core',
  'session-express',
];
const PEERS = ['express-session', 'connect-redis'];

/** A package's own files: what npm nests under it (a dependency it could not hoist) is not its weight. */
function bytesUnder(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path)
    .filter((name) => name !== 'node_modules')
    .reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
}

function npmInstall(appDir: string, specs: string[]): void {
  mkdirSync(appDir, { recursive: true });
  writeFileSync(
    join(appDir, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    cwd: appDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

export async function runInstallSize(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'sharedstate-install-size-'));
  try {
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    for (const name of OURS) {
      execFileSync('pnpm', ['pack', '--pack-destination', tarballs], {
        cwd: resolve('packages', name),
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    const ours = join(work, 'ours');
    npmInstall(ours, [...readdirSync(tarballs).map((file) => join(tarballs, file)), 'ioredis', 'express']);
    const peers = join(work, 'peers');
    npmInstall(peers, [...PEERS, 'ioredis', 'express']);

    const rows = OURS.map((name) => {
      const bytes = bytesUnder(join(ours, 'node_modules', '@sharedstate', name));
      return { name: `@sharedstate/${name}`, bytes };
    });
    const oursTotal = rows.reduce((sum, row) => sum + row.bytes, 0);
    const peerRows = PEERS.map((name) => ({ name, bytes: bytesUnder(join(peers, 'node_modules', name)) }));
    const peersTotal = peerRows.reduce((sum, row) => sum + row.bytes, 0);
    const lines = [
      '| package | installed |',
      '| ------- | --------: |',
      ...rows.map((row) => `| ${row.name} | ${kib(row.bytes)} |`),
      `| **ours, in all** | **${kib(oursTotal)}** |`,
      ...peerRows.map((row) => `| ${row.name} | ${kib(row.bytes)} |`),
      `| **express-session + connect-redis** | **${kib(peersTotal)}** |`,
    ];
    return lines.join('\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
