// An app in a process of its own: Express with the cookie authentication, its key ring in the Redis at
// argv[2]. Prints its URL once listening; POST /login signs ada in, GET /me says who is signed in.
import type { AddressInfo } from 'node:net';
import type { ClaimsPrincipal } from '@sharedstate/authentication-cookies';
import { cookieAuthentication, getUser, signIn } from '@sharedstate/authentication-cookies/express';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import express from 'express';
import { Redis } from 'ioredis';
import { ada } from '../framework-apps.ts';

const redis = new Redis(process.argv[2]!);
const dataProtection = createDataProtection({
  applicationName: 'shop',
  repository: new RedisXmlRepository({ redis }),
  logger: false,
});
const app = express();
app.use(cookieAuthentication({ dataProtection }));
app.get('/me', (req, res) => {
  const user: ClaimsPrincipal | undefined = getUser(req);
  res.json({ name: user?.name ?? null, admin: user?.isInRole('admin') ?? false });
});
app.post('/login', async (req, res) => {
  await signIn(req, ada());
  res.json({ name: getUser(req)?.name });
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => {
  server.close();
  redis.disconnect();
});
