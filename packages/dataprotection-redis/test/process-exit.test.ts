// The change subscription never keeps an app's process alive: not while connected (its socket is
// unreferenced), and not after the app closed its client while Redis was down, when the client library
// would go on reconnecting the subscription's own connection on timers of its own.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeWithService, redisClientKinds, services } from '@sharedstate/testing';

const APP = fileURLToPath(new URL('./apps/watch-then-close.ts', import.meta.url));

describeWithService(services.redis({ spawn: true }), 'a watching app shuts down', (server) => {
  test.each(redisClientKinds.map((kind) => kind.name))(
    '%s: closing the client while Redis is down lets the process end',
    async (kindName) => {
      const app = spawn(process.execPath, ['--conditions=source', APP, kindName, server().url], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      // Bounded, so that a hung app still reaches the finally below and is killed (a child left running
      // would keep jest from exiting).
      const printed = (text: string) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`the app never printed '${text}': ${output}`)),
            10_000,
          );
          const check = () => {
            if (!output.includes(text)) return;
            clearTimeout(timer);
            resolve();
          };
          app.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            check();
          });
          check();
        });
      const exited = new Promise<number | null>((resolve) => app.once('exit', resolve));
      try {
        await printed('watching');
        await server().kill();
        await printed('closed');
        const closedAt = performance.now();
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          exited.then((code) => ({ code, endedWithin5s: performance.now() - closedAt < 5_000 })),
          new Promise((resolve) => {
            timer = setTimeout(() => resolve('still running 8 s after closing'), 8_000);
          }),
        ]);
        clearTimeout(timer);
        expect(outcome).toEqual({ code: 0, endedWithin5s: true });
      } finally {
        app.kill('SIGKILL');
        await server().restart();
      }
    },
    30_000,
  );
});
