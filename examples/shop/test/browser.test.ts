// A person's view: a real Chromium signs in and fills a cart on two shop instances behind a round-robin
// proxy; one instance is killed; after a reload the cart is still there. Saves a screenshot.
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithService, isCI, services } from '@sharedstate/testing';
import { chromium } from 'playwright-core';
import { startRoundRobinProxy } from '../src/round-robin-proxy.ts';
import { type ShopInstance, startShop } from './shop-instances.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts', import.meta.url));
const available = existsSync(CHROMIUM);
if (!available && isCI())
  throw new Error(`Chromium is needed at ${CHROMIUM} on CI (apt-get install -y chromium).`);
const describeIfChromium = available ? describe : describe.skip;

describeIfChromium(
  `a browser session across instances${available ? '' : ` (skipped: no Chromium at ${CHROMIUM}; apt-get install -y chromium)`}`,
  () => {
    describeWithService(services.redis({ spawn: true }), 'with Redis', (redis) => {
      const shops: ShopInstance[] = [];
      let proxy: Server | undefined;
      afterAll(async () => {
        proxy?.close();
        await Promise.all(shops.map((shop) => shop.process.stop()));
      });

      test('sign in, add to the cart, lose an instance, reload: the cart is still there', async () => {
        const env = { REDIS_URL: redis().url, SHOP_CACHE: 'redis', SHOP_KEYS: 'redis' };
        shops.push(...(await Promise.all([startShop('express', 'A', env), startShop('express', 'B', env)])));
        proxy = await startRoundRobinProxy(shops.map((shop) => shop.url));
        const address = proxy.address();
        const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
        const browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--no-first-run',
          ],
        });
        try {
          const page = await browser.newPage();
          await page.goto(base);
          await page.fill('#user', 'Ada');
          await page.check('#remember');
          // Each step waits for the page its form posted to (303, then GET /) to show its result: a reload
          // sent while that navigation is still settling can lose the page target (Chromium reports
          // "Not attached to an active page"), which says nothing about the session.
          await page.click('#sign-in');
          await page.locator('#greeting').waitFor();
          expect(await page.textContent('#remembered')).toContain('30 days');
          // "Remember me": the browser keeps the cookie for 30 days, not until it closes.
          const [cookie] = await page.context().cookies();
          expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
          await page.click('#add-tea');
          await page.locator('#cart li').first().waitFor();
          await page.click('#add-biscuits');
          await page.locator('#cart li').nth(1).waitFor();
          await page.waitForLoadState('load');
          const servedBy = new Set<string>();
          for (let i = 0; i < 4; i++) {
            await page.reload();
            servedBy.add((await page.textContent('#instance')) ?? '');
            expect(await page.textContent('#greeting')).toContain('Ada');
          }
          expect(servedBy.size).toBe(2); // both instances served the same session
          await shops[0]!.process.kill('SIGKILL');
          await page.reload();
          await page.reload();
          expect(await page.textContent('#greeting')).toContain('Ada');
          expect(await page.locator('#cart li').allTextContents()).toEqual(['Tea', 'Biscuits']);
          mkdirSync(ARTIFACTS, { recursive: true });
          await page.screenshot({ path: join(ARTIFACTS, 'shop-after-instance-killed.png'), fullPage: true });
        } finally {
          await browser.close();
        }
      }, 90_000);
    });
  },
);
