import { getSession, session } from '@sharedstate/session-koa';
import Koa from 'koa';
import type { ShopBackend } from './backend.ts';
import { REMEMBER_FOR, type ShopSession } from './shop-page.ts';

/** The shop's JSON routes on Koa (the same contract as the Express shop's). */
export function koaShop(backend: ShopBackend, instance: string): Koa {
  const app = new Koa();
  app.proxy = true;
  app.use(session(backend.sessionOptions));
  app.use(async (ctx) => {
    const s = getSession<ShopSession>(ctx);
    const param = (name: string) => String(ctx.query[name] ?? '').slice(0, 40);
    if (ctx.method === 'POST' && ctx.path === '/sign-in') {
      const user = param('user') || 'guest';
      await s.signIn(user);
      s.setJson('user', user);
      if (param('remember') === '1') s.rememberFor(REMEMBER_FOR);
      ctx.redirect('/');
      ctx.status = 303;
    } else if (ctx.method === 'POST' && ctx.path === '/cart') {
      const item = param('item') || 'item';
      s.update('cart', (cart) => [...(cart ?? []), item]);
      ctx.redirect('/');
      ctx.status = 303;
    } else if (ctx.path === '/api/state') {
      const remembered = s.rememberedForMs !== undefined;
      ctx.body = { user: s.getJson('user'), cart: s.getJson('cart') ?? [], remembered, instance };
    }
  });
  return app;
}
