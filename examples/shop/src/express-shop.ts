import { getSession, session } from '@sharedstate/session-express';
import express from 'express';
import type { ShopBackend } from './backend.ts';
import { REMEMBER_FOR, renderShopPage, type ShopSession } from './shop-page.ts';
import { shopMetrics } from './shop-telemetry.ts';
import {
  clusterViewOf,
  deviceLabel,
  deviceViews,
  keyIdOfCookie,
  keyViews,
  type ShopView,
  sessionEntries,
} from './shop-view.ts';

/** The shop on Express: HTML pages for people, JSON under /api for tests. */
export function expressShop(backend: ShopBackend, instance: string): express.Express {
  const metrics = shopMetrics();
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(express.urlencoded({ extended: false }));
  const sessions = session(backend.sessionOptions);
  app.use(sessions);

  const state = (req: express.Request) => {
    const s = getSession<ShopSession>(req);
    const remembered = s.rememberedForMs !== undefined;
    return { user: s.getJson('user'), cart: s.getJson('cart') ?? [], remembered, instance };
  };

  app.get('/', async (req, res) => {
    const s = getSession<ShopSession>(req);
    const view: ShopView = {
      ...state(req),
      pid: process.pid,
      session: { id: s.id, isNew: s.isNew, entries: sessionEntries(s) },
      cookieKeyId: keyIdOfCookie(req.headers.cookie),
      keys: await keyViews(backend.dataProtection),
      cluster: clusterViewOf(req.headers['x-sharedstate-demo']),
      revoked: typeof req.query.revoked === 'string' ? req.query.revoked : undefined,
      devices: s.userId === undefined ? undefined : await deviceViews(sessions.userSessions, s),
    };
    res.type('html').send(renderShopPage(view));
  });
  app.post('/sign-in', async (req, res) => {
    const s = getSession<ShopSession>(req);
    const user = String(req.body?.user ?? req.query.user ?? 'guest').slice(0, 40);
    // A new key on sign-in (a session id planted before it is worth nothing after it), and the session
    // joins the user's list of devices.
    await s.signIn(user, { device: deviceLabel(req.get('user-agent')) });
    s.setJson('user', user);
    // "Remember me": this session and its cookie outlive the browser and the 20-minute idle timeout.
    if ((req.body?.remember ?? req.query.remember) === '1') s.rememberFor(REMEMBER_FOR);
    res.redirect(303, '/');
  });
  app.post('/cart', (req, res) => {
    const s = getSession<ShopSession>(req);
    const item = String(req.body?.item ?? req.query.item ?? 'item').slice(0, 40);
    // update(), not get-then-set: a double-clicked "add" running beside this request is not lost.
    s.update('cart', (cart) => [...(cart ?? []), item]);
    res.redirect(303, '/');
  });
  app.post('/sign-out', (req, res) => {
    getSession(req).destroy();
    res.redirect(303, '/');
  });
  // For operators: Prometheus's scrape, and a readiness probe (503 while sessions cannot be read and written).
  app.get('/metrics', (req, res) => metrics(req, res));
  app.get('/ready', async (_req, res) => {
    const readiness = await sessions.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  app.get('/api/state', (req, res) => {
    res.json(state(req));
  });
  app.get('/api/devices', async (req, res) => {
    const s = getSession(req);
    res.json(s.userId === undefined ? [] : await deviceViews(sessions.userSessions, s));
  });
  // "Your devices": sign one other device out, or all of them; only the signed-in user's own sessions.
  app.post('/devices/sign-out', async (req, res) => {
    const { userId } = getSession(req);
    const handle = String(req.body?.handle ?? req.query.handle ?? '');
    if (userId !== undefined) await sessions.userSessions.endSession(handle, { userId });
    res.redirect(303, '/');
  });
  app.post('/devices/sign-out-others', async (req, res) => {
    const s = getSession(req);
    if (s.userId !== undefined) await sessions.userSessions.endUserSessions(s.userId, { except: s.handle });
    res.redirect(303, '/');
  });
  return app;
}
