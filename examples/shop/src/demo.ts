// pnpm demo: the shop on the embedded default (memory cache, key ring in .sharedstate-demo/keys), or with
// REDIS_URL set, two instances sharing Redis behind a round-robin proxy: kill either, sessions survive.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backendFromEnv } from './backend.ts';
import { expressShop } from './express-shop.ts';
import { startRoundRobinProxy } from './round-robin-proxy.ts';

const port = Number(process.env.PORT ?? 3000);
const instances = new Set<ChildProcess>();

// 'exit' handlers do not run when a signal ends the process, so Ctrl-C (SIGINT), kill (SIGTERM) and a closed
// terminal (SIGHUP) stop the instances here, and the demo exits once they are gone.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => void stopEverything());
}

async function stopEverything(): Promise<never> {
  await Promise.all(
    [...instances].map(
      (child) =>
        new Promise<void>((resolve) => {
          // An instance gets a few seconds to close its connections, then is killed outright.
          const deadline = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(deadline);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  process.exit(0);
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

function startInstance(name: string, instancePort: number): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      new URL('./server.ts', import.meta.url).pathname,
      '--port',
      String(instancePort),
      '--instance',
      name,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: process.env },
  );
  instances.add(child);
  child.once('exit', () => instances.delete(child));
  process.once('exit', () => child.kill());
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(`[${name}] ${chunk}`);
      if (chunk.toString().includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`instance ${name} exited with code ${code}`)));
  });
}

if (process.env.REDIS_URL) {
  const ports = [await freePort(), await freePort()];
  await Promise.all(ports.map((p, i) => startInstance(`instance-${String.fromCharCode(65 + i)}`, p)));
  await startRoundRobinProxy(
    ports.map((p) => `http://127.0.0.1:${p}`),
    port,
  );
  console.log(
    `\nsharedstate shop: http://127.0.0.1:${port}  (two instances behind a round-robin proxy, sessions and keys in Redis)`,
  );
  console.log(
    'Sign in, add to the cart, reload a few times (watch the instance name change), kill one instance: the cart stays.',
  );
} else {
  const backend = backendFromEnv();
  await backend.dataProtection.initialize();
  const server = createServer(expressShop(backend, 'embedded'));
  server.listen(port, '127.0.0.1', () => {
    console.log(`sharedstate shop: http://127.0.0.1:${port}  (${backend.description})`);
    console.log('Set REDIS_URL to run two instances sharing Redis behind a round-robin proxy.');
  });
}
