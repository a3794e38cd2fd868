// @fastify/passport (which reads and writes the signed-in user with request.session.get and set, and calls
// regenerate(keep) at sign-in and sign-out) and @fastify/flash, on two Fastify instances that share a real
// Redis, with the plugin's `properties` option; and without it, the error that names the option.
import { Authenticator } from '@fastify/passport';
import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { type FastifyPropertySession, fastifySession, getSession } from '@sharedstate/session-fastify';
import { CookieJarClient, describeWithService, services } from '@sharedstate/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Strategy as LocalStrategy } from 'passport-local';

interface User {
  id: string;
}

async function passportApp(redis: Redis, properties: boolean): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifySession, {
    cache: new RedisCache({ redis }),
    dataProtection: createDataProtection({
      // Its change check outlives this file's Redis client (it runs every 30 s): no warnings after the tests.
      logger: false,
      applicationName: 'fastify-passport-tests',
      repository: new RedisXmlRepository({ redis }),
    }),
    properties,
  });
  const passport = new Authenticator();
  passport.use(
    'local',
    new LocalStrategy((username, password, done) =>
      password === 'secret' ? done(null, { id: username }) : done(null, false),
    ),
  );
  passport.registerUserSerializer<User, string>(async (user) => user.id);
  passport.registerUserDeserializer<string, User>(async (id) => ({ id }));
  await app.register(passport.initialize());
  await app.register(passport.secureSession());
  // Credentials in the query string: passport-local reads request.query when there is no body.
  app.post(
    '/login',
    {
      preValidation: passport.authenticate('local', {
        successRedirect: '/me',
        failureRedirect: '/login',
        failureFlash: 'wrong password',
      }),
    },
    async () => 'unreachable',
  );
  app.post('/logout', async (request, reply) => {
    await request.logout();
    return reply.redirect('/me');
  });
  app.get('/login', async (_request, reply) => ({ flash: reply.flash('error') }));
  app.post('/save-with-a-bug', (request, reply) => {
    // An app that saves with a callback, and has a bug in it.
    const values = request.session as unknown as FastifyPropertySession & { visited?: boolean };
    values.visited = true;
    values.save(() => {
      throw new Error('a bug in the save callback');
    });
    return reply;
  });
  app.get('/me', async (request) => ({
    user: request.user ?? null,
    passport: getSession(request).getJson('passport') ?? null,
  }));
  return app;
}

describeWithService(services.redis({ spawn: true }), '@fastify/passport', (redisServer) => {
  const started: { app: FastifyInstance; redis: Redis }[] = [];
  afterAll(async () => {
    await Promise.all(started.map(async ({ app, redis }) => app.close().then(() => redis.quit())));
  });
  const start = async (properties: boolean) => {
    const redis = new Redis(redisServer().url);
    const app = await passportApp(redis, properties);
    started.push({ app, redis });
    return app.listen({ port: 0, host: '127.0.0.1' });
  };

  test('with properties: sign in on A, signed in on B, flash messages, sign out; the cookie changes at each', async () => {
    const [a, b] = await Promise.all([start(true), start(true)]);
    const client = new CookieJarClient();
    const failed = await client.send(`${a}/login?username=ada&password=nope`, 'POST');
    expect(failed.headers.get('location')).toBe('/login');
    // @fastify/flash kept the failure message in the session, for the next page (on the other instance).
    expect(await client.json(`${b}/login`)).toEqual({ flash: ['wrong password'] });
    expect(await client.json(`${b}/login`)).toEqual({ flash: [] });
    const beforeSignIn = client.cookie;
    const signedIn = await client.send(`${a}/login?username=ada&password=secret`, 'POST');
    expect(signedIn.headers.get('location')).toBe('/me');
    const afterSignIn = client.cookie;
    expect(afterSignIn).toBeDefined();
    expect(afterSignIn).not.toBe(beforeSignIn);
    expect(await client.json(`${b}/me`)).toEqual({ user: { id: 'ada' }, passport: 'ada' });

    expect((await client.send(`${b}/logout`, 'POST')).status).toBe(302);
    expect(client.cookie).not.toBe(afterSignIn);
    expect(await client.json(`${a}/me`)).toEqual({ user: null, passport: null });
    // The cookie from before sign-out names nothing now.
    client.cookie = afterSignIn;
    expect(await client.json(`${a}/me`)).toMatchObject({ user: null, passport: null });
  });

  test("with properties: an error thrown by the app's save callback goes to Fastify's error handling, not the process", async () => {
    const a = await start(true);
    const client = new CookieJarClient();
    const response = await client.send(`${a}/save-with-a-bug`, 'POST');
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ message: 'a bug in the save callback' });
  });

  test('without properties, sign-in fails with an error naming the option', async () => {
    const a = await start(false);
    const client = new CookieJarClient();
    const response = await client.send(`${a}/login?username=ada&password=secret`, 'POST');
    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toMatch(
      /with Fastify, register the plugin with \{ properties: true \}/,
    );
  });
});
