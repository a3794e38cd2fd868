import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CookieJarClient, freePort, ManagedProcess, waitUntil } from '@sharedstate/testing';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const HONO_SERVER = fileURLToPath(new URL('../src/hono-server.ts', import.meta.url));
const SHOP = fileURLToPath(new URL('..', import.meta.url));

export interface ShopInstance {
  url: string;
  process: ManagedProcess;
}

/** Starts one shop as its own OS process and waits until it accepts requests. */
export async function startShop(
  framework: string,
  name: string,
  env: Record<string, string>,
): Promise<ShopInstance> {
  const port = await freePort();
  return started(
    new ManagedProcess(
      process.execPath,
      ['--conditions=source', SERVER, '--framework', framework, '--port', String(port), '--instance', name],
      { description: `${framework} shop ${name}`, env: { ...process.env, ...env } },
    ),
    name,
    port,
  );
}

export type Runtime = 'node' | 'bun' | 'deno';

const fromShop = createRequire(import.meta.url);

/**
 * The bun or deno executable the npm packages of that name installed: each carries its binaries in a package
 * per platform (an optional dependency), whose own postinstall step is not needed (pnpm does not run it).
 */
export function runtimeExecutable(runtime: 'bun' | 'deno'): string {
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
  const platformPackage =
    runtime === 'bun'
      ? `@oven/bun-${process.platform}-${arch}`
      : `@deno/${process.platform}-${process.arch}${process.platform === 'linux' ? '-glibc' : ''}`;
  const fromRuntime = createRequire(fromShop.resolve(`${runtime}/package.json`));
  const folder = dirname(fromRuntime.resolve(`${platformPackage}/package.json`));
  return runtime === 'bun' ? join(folder, 'bin', 'bun') : join(folder, 'deno');
}

/**
 * Starts the Hono shop on Node, Bun or Deno (src/hono-server.ts, on the runtime's own HTTP server) as its
 * own OS process. Bun and Deno run the packages' built files, as an app installing them from npm would.
 */
export async function startHonoOn(
  runtime: Runtime,
  name: string,
  env: Record<string, string>,
): Promise<ShopInstance> {
  const port = await freePort();
  const shopArgs = [HONO_SERVER, '--port', String(port), '--instance', name];
  const [command, args] =
    runtime === 'node'
      ? [process.execPath, ['--conditions=source', ...shopArgs]]
      : runtime === 'bun'
        ? [runtimeExecutable('bun'), shopArgs]
        : [runtimeExecutable('deno'), ['run', '--allow-net', '--allow-env', '--allow-read', ...shopArgs]];
  return started(
    new ManagedProcess(command, args, {
      description: `hono shop ${name} on ${runtime}`,
      // Deno finds the shop's package.json, and with it node_modules, from the working directory.
      cwd: SHOP,
      env: { ...process.env, ...env },
    }),
    name,
    port,
  );
}

async function started(child: ManagedProcess, name: string, port: number): Promise<ShopInstance> {
  await waitUntil(
    async () => {
      if (child.hasExited) throw new Error(`${name} exited: ${child.output}`);
      return child.output.includes('listening on');
    },
    `shop ${name} to listen`,
    // Deno compiles the app's TypeScript and the packages on its first start.
    { timeoutMs: 60_000 },
  );
  return { url: `http://127.0.0.1:${port}`, process: child };
}

interface ShopState {
  user?: string;
  cart: string[];
  remembered: boolean;
  instance: string;
}

/** A client with one cookie jar, as a browser has, that knows the shop's routes. */
export class Browser extends CookieJarClient {
  post(url: string): Promise<Response> {
    return this.send(url, 'POST');
  }

  async state(base: string): Promise<ShopState> {
    const response = await this.send(`${base}/api/state`);
    if (!response.ok) throw new Error(`${base} answered ${response.status}`);
    return response.json() as Promise<ShopState>;
  }
}
