import { fileURLToPath } from 'node:url';
import { CookieJarClient, freePort, ManagedProcess, waitUntil } from '@sharedstate/testing';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));

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
  const child = new ManagedProcess(
    process.execPath,
    ['--conditions=source', SERVER, '--framework', framework, '--port', String(port), '--instance', name],
    { description: `${framework} shop ${name}`, env: { ...process.env, ...env } },
  );
  await waitUntil(
    async () => {
      if (child.hasExited) throw new Error(`${name} exited: ${child.output}`);
      return child.output.includes('listening on');
    },
    `${framework} shop ${name} to listen`,
    { timeoutMs: 30_000 },
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
