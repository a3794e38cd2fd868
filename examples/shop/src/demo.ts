// pnpm demo: the shop on the embedded default (memory cache, key ring in .sharedstate-demo/keys), or with
// REDIS_URL (or DATABASE_URL) set, instances sharing Redis (or PostgreSQL) behind a round-robin proxy, with
// buttons on the page to stop and start instances and to revoke the key that protects the cookie.
import { createServer } from 'node:http';
import { backendFromEnv } from './backend.ts';
import { DemoCluster } from './demo-cluster.ts';
import { expressShop } from './express-shop.ts';
import { startRoundRobinProxy } from './round-robin-proxy.ts';

const port = Number(process.env.PORT ?? 3000);
/** How soon the demo's instances notice a key created or revoked elsewhere (the library's default is 30 s). */
const KEY_RING_CHECK = process.env.SHOP_KEY_RING_CHECK ?? '2s';
let cluster: DemoCluster | undefined;

// 'exit' handlers do not run when a signal ends the process, so Ctrl-C (SIGINT), kill (SIGTERM) and a closed
// terminal (SIGHUP) stop the instances here, and the demo exits once they are gone.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    void (cluster?.stopAll() ?? Promise.resolve()).finally(() => process.exit(0));
  });
}

const sharedStore = process.env.REDIS_URL ? 'Redis' : process.env.DATABASE_URL ? 'PostgreSQL' : undefined;
if (sharedStore) {
  const running = new DemoCluster(KEY_RING_CHECK, sharedStore);
  cluster = running;
  await running.start();
  await running.start();
  await startRoundRobinProxy(() => running.upstreams(), {
    port,
    handle: (req, res, body) => running.handle(req, res, body),
    headers: () => ({ 'x-sharedstate-demo': JSON.stringify(running.view()) }),
  });
  console.log(
    `\nsharedstate shop: http://127.0.0.1:${port}  (two instances behind a round-robin proxy, sessions and keys in ${sharedStore})`,
  );
  console.log(
    'Sign in, add to the cart, reload (watch the instance change), stop an instance, start a new one, revoke the key: the page shows what each does.',
  );
} else {
  const backend = backendFromEnv();
  // The shop first: its metrics then see the key ring's first load.
  const shop = expressShop(backend, 'embedded');
  await backend.dataProtection.initialize();
  const server = createServer(shop);
  server.listen(port, '127.0.0.1', () => {
    console.log(`sharedstate shop: http://127.0.0.1:${port}  (${backend.description})`);
    console.log(
      'Set REDIS_URL (or DATABASE_URL) to run two instances sharing Redis (or PostgreSQL) behind a round-robin proxy.',
    );
  });
}
