// The README's way in while the packages are not on the registry: tarballs from `./dev pack` (its packing
// step, scripts/pack-packages.sh, over the packages built already), installed with npm and with pnpm as the
// README says, the no-server quick start's install line as written, and its code run.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CookieJarClient, type ManagedProcess } from '@sharedstate/testing';
import { startApp } from './app-process.ts';

const run = promisify(execFile);
const repository = fileURLToPath(new URL('../../../', import.meta.url));
const HEADING = '## Quick start without a server (Express)';

/** The README's install line for the no-server quick start, and that quick start's code. */
async function readmeQuickStart(): Promise<{ packages: string[]; code: string }> {
  const readme = await readFile(join(repository, 'README.md'), 'utf8');
  const line = readme.match(/# Express sessions in one process, no server[^\n]*\n(npm install [^\n]+)/)?.[1];
  const code = readme.split(HEADING)[1]?.match(/```ts\n([\s\S]*?)```/)?.[1];
  if (line === undefined || code === undefined) throw new Error('README.md lost its no-server quick start');
  return { packages: line.split(/\s+/).slice(2), code };
}

let work: string;
let packs: string;
/** What the script prints for scripts: per package the tarballs npm installs, and pnpm's overrides. */
let printed: { npm: Record<string, string[]>; pnpm: { overrides: Record<string, string> } };
const processes: ManagedProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sharedstate-packed-'));
  packs = join(work, 'packs');
  await mkdir(packs);
  const { stdout } = await run('bash', [join(repository, 'scripts', 'pack-packages.sh'), packs], {
    timeout: 120_000,
  });
  printed = JSON.parse(stdout.trim().split('\n').at(-1)!);
}, 150_000);

afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await rm(work, { recursive: true, force: true });
});

test.each(['npm', 'pnpm'] as const)(
  'with %s, the tarballs install as the README says, and the no-server quick start runs',
  async (manager) => {
    const { packages, code } = await readmeQuickStart();
    expect(packages).toContain('@sharedstate/caching-abstractions');
    const app = join(work, manager);
    await mkdir(app);
    const manifest = { name: `${manager}-app`, private: true, type: 'module' };
    // npm: each of ours with the tarballs it needs; pnpm: ours alone, the overrides resolving the rest.
    const wanted = [
      ...new Set(
        packages.flatMap((name) =>
          manager === 'npm'
            ? (printed.npm[name] ?? [name])
            : [printed.pnpm.overrides[name]?.replace(/^file:/, '') ?? name],
        ),
      ),
    ];
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify(manager === 'pnpm' ? { ...manifest, pnpm: printed.pnpm } : manifest),
    );
    const install = manager === 'npm' ? ['install', '--no-audit', '--no-fund'] : ['add'];
    await run(manager, [...install, ...wanted], { cwd: app, timeout: 180_000 });
    await writeFile(
      join(app, 'app.ts'),
      code.replace('app.listen(3000);', 'app.listen(Number(process.env.PORT));'),
    );
    const url = await startApp(processes, `the quick start installed with ${manager}`, app, ['app.ts'], {});
    const browser = new CookieJarClient();
    expect(await (await browser.send(url)).text()).toBe('visit 1');
    expect(await (await browser.send(url)).text()).toBe('visit 2');
  },
  240_000,
);
