// The benchmark server for `pnpm bench memory-sessions`: Express with the session middleware on the
// embedded default (MemoryDistributedCache with its default size limit, a key ring in this process).
//   node --conditions=source bench/http/memory-session-server.ts <port>
// POST /write stores a counter in the session (a request without a cookie makes a new session); GET /stats
// answers the cache's entry count and counted size.
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { getSession, session } from '@sharedstate/session-express';
import express from 'express';

const port = Number(process.argv[2] ?? 0);
const cache = new MemoryDistributedCache();
const app = express();
app.get('/stats', (_req, res) => {
  res.json({ count: cache.count, size: cache.size });
});
app.use(
  session({
    cache,
    dataProtection: createDataProtection({
      applicationName: 'bench',
      repository: new EphemeralXmlRepository(),
    }),
  }),
);
app.post('/write', (req, res) => {
  const s = getSession<{ count: number }>(req);
  s.setJson('count', (s.getJson('count') ?? 0) + 1);
  res.send('ok');
});
app.listen(port, '127.0.0.1', () => console.log('ready'));
