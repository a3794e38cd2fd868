import { getSession } from '@sharedstate/session-express';
import type { Express } from 'express';

/**
 * The cart routes the Redis suites drive: `GET /cart` answers `{ available, cart }` from the session,
 * `POST /add/:item` adds the item to it.
 */
export function addCartRoutes(app: Express): void {
  app.get('/cart', (req, res) => {
    const s = getSession<{ cart: string[] }>(req);
    res.json({ available: s.isAvailable, cart: s.getJson('cart') ?? [] });
  });
  app.post('/add/:item', (req, res) => {
    const s = getSession<{ cart: string[] }>(req);
    s.setJson('cart', [...(s.getJson('cart') ?? []), req.params.item!]);
    res.json({});
  });
}
