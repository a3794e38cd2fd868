// Two processes, one key ring in Redis: a cookie one signs in with is read by the other with nothing but the
// ring (as an ASP.NET Core app beside a Node one); and the ring unreachable is a 503, never a sign-out.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CookieAuthentication } from '@sharedstate/authentication-cookies';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { describeWithService, httpApps, redisClientKinds, services } from '@sharedstate/testing';
import { COOKIE_AUTHENTICATION_PURPOSE, usualSignInTicket } from './dotnet-bytes.ts';
import { ada, Browser, FRAMEWORKS } from './framework-apps.ts';

const APP = fileURLToPath(new URL('./apps/express-sign-in.ts', import.meta.url));
const ioredis = redisClientKinds.find((kind) => kind.name.startsWith('ioredis'))!;

describeWithService(services.redis({ spawn: true }), 'one key ring in Redis', (server) => {
  const apps = httpApps();
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(() => Promise.all(closers.map((close) => close())));
  /** A ring on its own client; for the outage cases one whose commands fail while Redis is down. */
  const ringOn = async (failQueuedCommands = false) => {
    const made = await ioredis.standalone(server().url, { failQueuedCommands });
    closers.push(() => made.close());
    return createDataProtection({
      applicationName: 'shop',
      repository: new RedisXmlRepository({ redis: made.client as never, operationTimeout: '1s' }),
      logger: false,
    });
  };

  test('a sign-in made in another process reads here with only the key ring, and one made here reads there', async () => {
    const here = new CookieAuthentication({ dataProtection: await ringOn(), logger: false });
    // Signed in here first: the ring's first key is made here, and the other process finds it.
    const { setCookies } = await here.signIn({ cookieHeader: undefined, secure: false }, ada());
    const child = spawn(process.execPath, ['--conditions=source', APP, server().url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(`the app did not start: ${output}`)), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const found = /listening (http:\S+)/.exec(output);
          if (found) {
            clearTimeout(timer);
            resolve(found[1]!);
          }
        });
      });
      const fromHere = new Browser();
      fromHere.cookies.set('.AspNetCore.Cookies', setCookies[0]!.split(';')[0]!.split('=')[1]!);
      expect(await fromHere.json(`${url}/me`)).toEqual({ name: 'ada', admin: true });

      const there = new Browser();
      await there.json(`${url}/login`, 'POST');
      const read = await here.authenticate({ cookieHeader: there.cookieHeader, secure: false });
      expect(read.outcome === 'signed-in' && read.principal.name).toBe('ada');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 40_000);

  describe.each(
    FRAMEWORKS.filter(({ name }) => ['Express 5', 'Koa 3', 'Hono 4', 'Fastify 5'].includes(name)),
  )('$name', ({ start }) => {
    test('the ring unreachable for a cookie of a key it lacks: 503 with Retry-After, neither signed in nor out; known keys go on working', async () => {
      const url = await start({ dataProtection: await ringOn(true), logger: false }, apps);
      const browser = new Browser();
      await browser.json(`${url}/login`, 'POST');
      // A cookie protected with a key of another ring: this ring must ask Redis whether it has the key.
      const other = createDataProtection({
        applicationName: 'shop',
        repository: new EphemeralXmlRepository(),
        logger: false,
      });
      const foreign = Buffer.from(
        await other
          .createProtector(COOKIE_AUTHENTICATION_PURPOSE, 'Cookies', 'v2')
          .protect(usualSignInTicket('mallory', [], [])),
      ).toString('base64url');
      await server().kill();
      try {
        const response = await fetch(`${url}/me`, { headers: { cookie: `.AspNetCore.Cookies=${foreign}` } });
        expect({
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          setCookie: response.headers.get('set-cookie'),
        }).toEqual({
          status: 503,
          retryAfter: '5',
          setCookie: null,
        });
        expect(await browser.json(`${url}/me`)).toEqual({ name: 'ada', admin: true });
      } finally {
        await server().restart();
      }
    }, 30_000);
  });
});
