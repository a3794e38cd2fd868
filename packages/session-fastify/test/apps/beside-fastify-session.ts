// An app running @fastify/session and this plugin side by side, as during a migration (theirs registered
// first). Run as its own Node process: @fastify/cookie loads the cookie package with a dynamic import, which
// Jest's module sandbox does not run. Prints "listening on URL".
import fastifyCookie from '@fastify/cookie';
import fastifySessionPackage from '@fastify/session';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { fastifySession, getSession } from '@sharedstate/session-fastify';
import Fastify from 'fastify';

const app = Fastify();
await app.register(fastifyCookie);
await app.register(fastifySessionPackage, {
  secret: 'a secret of at least thirty-two characters',
  cookie: { secure: false },
});
await app.register(fastifySession, {
  cache: new MemoryDistributedCache(),
  dataProtection: createDataProtection({ applicationName: 'both', repository: new EphemeralXmlRepository() }),
});
type TheirSession = { get(key: string): unknown; set(key: string, value: unknown): void };
app.post('/both', async (request) => {
  (request.session as unknown as TheirSession).set('old', 'theirs');
  getSession<{ cart: string[] }>(request).setJson('cart', ['ours']);
  return 'ok';
});
app.get('/both', async (request) => ({
  old: (request.session as unknown as TheirSession).get('old') ?? null,
  cart: getSession<{ cart: string[] }>(request).getJson('cart') ?? null,
}));
console.log(`listening on ${await app.listen({ port: 0, host: '127.0.0.1' })}`);
