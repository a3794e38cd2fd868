import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backendFromEnv, type ShopBackend } from './backend.ts';
import type { ClusterView, InstanceView } from './shop-view.ts';

const SERVER = new URL('./server.ts', import.meta.url).pathname;

interface RunningInstance extends InstanceView {
  child: ChildProcess;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * The multi-instance demo's controller: starts and stops shop instances (separate processes sharing Redis or
 * PostgreSQL),
 * tells each instance what runs beside it, and answers the page's control buttons (/_demo/start,
 * /_demo/stop, /_demo/revoke) at the proxy, so a person can replace instances and revoke a key from the
 * browser and watch what happens to their session.
 */
export class DemoCluster {
  readonly #instances = new Map<string, RunningInstance>();
  readonly #keyRingCheck: string;
  readonly #store: string;
  /** The controller's own view of the shared key ring, as an operator's tool would have. */
  readonly #backend: ShopBackend;
  #started = 0;

  constructor(keyRingCheck: string, store: string) {
    this.#keyRingCheck = keyRingCheck;
    this.#store = store;
    this.#backend = backendFromEnv();
    // The last resort when the demo exits some other way than by a signal: no instance outlives it.
    process.once('exit', () => {
      for (const instance of this.#instances.values()) instance.child.kill('SIGKILL');
    });
  }

  /** Starts the next instance (instance-A, instance-B, ...) and resolves once it accepts connections. */
  async start(): Promise<InstanceView> {
    const name = `instance-${String.fromCharCode(65 + (this.#started++ % 26))}`;
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--conditions=source', SERVER, '--port', String(port), '--instance', name],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, SHOP_DEMO_CONTROL: '1', SHOP_KEY_RING_CHECK: this.#keyRingCheck },
      },
    );
    const instance: RunningInstance = { name, pid: child.pid ?? 0, port, child };
    child.once('exit', () => this.#instances.delete(name));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        process.stdout.write(`[${name}] ${chunk}`);
        if (chunk.toString().includes('listening on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before listening`)));
    });
    this.#instances.set(name, instance);
    return { name, pid: instance.pid, port };
  }

  /** Stops one instance: SIGTERM, then SIGKILL if it has not exited within five seconds. */
  async stop(name: string): Promise<boolean> {
    const instance = this.#instances.get(name);
    if (!instance) return false;
    await stopProcess(instance.child);
    return true;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#instances.values()].map((instance) => stopProcess(instance.child)));
    await this.#backend.close();
  }

  upstreams(): string[] {
    return [...this.#instances.values()].map((instance) => `http://127.0.0.1:${instance.port}`);
  }

  view(): ClusterView {
    return {
      instances: [...this.#instances.values()].map(({ name, pid, port }) => ({ name, pid, port })),
      keyRingCheck: this.#keyRingCheck,
      store: this.#store,
    };
  }

  /** The control routes, answered here rather than by an instance. */
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): boolean {
    if (req.method !== 'POST' || !req.url?.startsWith('/_demo/')) return false;
    const form = new URLSearchParams(body.toString('utf8'));
    const done = (location: string) => {
      res.writeHead(303, { location });
      res.end();
    };
    const fail = (status: number, message: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${message}\n`);
    };
    const action = req.url.slice('/_demo/'.length);
    let work: Promise<void>;
    if (action === 'start') {
      work = this.start().then(() => done('/'));
    } else if (action === 'stop') {
      const name = form.get('name') ?? '';
      // The page is served by the instances: with none left, nothing could show the button to start one.
      if (this.#instances.size === 1 && this.#instances.has(name)) {
        fail(409, `${name} is the last instance running: start another one before stopping it.`);
        return true;
      }
      work = this.stop(name).then((stopped) =>
        stopped ? done('/') : fail(404, `No running instance is named '${name}'.`),
      );
    } else if (action === 'revoke') {
      const key = form.get('key') ?? '';
      work = this.#backend.dataProtection.keyManager
        .revokeKey(key, 'revoked from the demo page')
        .then(() => done(`/?revoked=${encodeURIComponent(key)}`));
    } else {
      fail(404, `Unknown demo action '${action}': use start, stop or revoke.`);
      return true;
    }
    work.catch((error: unknown) =>
      fail(500, `The demo could not ${action}: ${error instanceof Error ? error.message : String(error)}`),
    );
    return true;
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // An instance gets a few seconds to close its connections, then is killed outright.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(deadline);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
