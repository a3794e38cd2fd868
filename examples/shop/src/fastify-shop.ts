import { fastifySession, getSession } from '@sharedstate/session-fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ShopBackend } from './backend.ts';
import { REMEMBER_FOR, type ShopSession } from './shop-page.ts';

type Query = { Querystring: Record<string, string | undefined> };

/** The shop's JSON routes on Fastify (the same contract as the Express shop's). */
export async function fastifyShop(backend: ShopBackend, instance: string): Promise<FastifyInstance> {
  const app = Fastify({ trustProxy: true });
  await app.register(fastifySession, backend.sessionOptions);
  const param = (value: string | undefined) => String(value ?? '').slice(0, 40);
  app.post<Query>('/sign-in', async (request, reply) => {
    const s = getSession<ShopSession>(request);
    const user = param(request.query.user) || 'guest';
    await s.signIn(user);
    s.setJson('user', user);
    if (request.query.remember === '1') s.rememberFor(REMEMBER_FOR);
    return reply.redirect('/', 303);
  });
  app.post<Query>('/cart', async (request, reply) => {
    const item = param(request.query.item) || 'item';
    getSession<ShopSession>(request).update('cart', (cart) => [...(cart ?? []), item]);
    return reply.redirect('/', 303);
  });
  app.get('/api/state', async (request) => {
    const s = getSession<ShopSession>(request);
    const remembered = s.rememberedForMs !== undefined;
    return { user: s.getJson('user'), cart: s.getJson('cart') ?? [], remembered, instance };
  });
  return app;
}
