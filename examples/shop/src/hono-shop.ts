import { type SessionEnv, session } from '@sharedstate/session-hono';
import { Hono } from 'hono';
import type { ShopBackend } from './backend.ts';
import { REMEMBER_FOR, type ShopSession } from './shop-page.ts';

/** The shop's JSON routes on Hono (the same contract as the Express shop's). */
export function honoShop(backend: ShopBackend, instance: string): Hono<SessionEnv<ShopSession>> {
  const app = new Hono<SessionEnv<ShopSession>>();
  app.use(session<ShopSession>(backend.sessionOptions));
  const param = (value: string | undefined) => String(value ?? '').slice(0, 40);
  app.post('/sign-in', async (c) => {
    const s = c.get('session');
    const user = param(c.req.query('user')) || 'guest';
    await s.signIn(user);
    s.setJson('user', user);
    if (c.req.query('remember') === '1') s.rememberFor(REMEMBER_FOR);
    return c.redirect('/', 303);
  });
  app.post('/cart', (c) => {
    const s = c.get('session');
    const item = param(c.req.query('item')) || 'item';
    s.update('cart', (cart) => [...(cart ?? []), item]);
    return c.redirect('/', 303);
  });
  app.get('/api/state', (c) => {
    const s = c.get('session');
    const remembered = s.rememberedForMs !== undefined;
    return c.json({ user: s.getJson('user'), cart: s.getJson('cart') ?? [], remembered, instance });
  });
  return app;
}
