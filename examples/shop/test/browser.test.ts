// A person's view of `pnpm demo` with REDIS_URL: a real Chromium signs in and fills a cart, stops the
// instance that served it, starts a new one and is served by it with the cart intact, then revokes the key
// that protects its cookie and sees its session end and a new key protect the next one; and two browsers
// signed in to one user, one signing the other out from "Your devices". Saves screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  describeWithService,
  freePort,
  isCI,
  ManagedProcess,
  services,
  waitUntil,
} from '@sharedstate/testing';
import { type Browser, chromium, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts', import.meta.url));
const DEMO = fileURLToPath(new URL('../src/demo.ts', import.meta.url));
const available = existsSync(CHROMIUM);
if (!available && isCI())
  throw new Error(`Chromium is needed at ${CHROMIUM} on CI (apt-get install -y chromium).`);
const describeIfChromium = available ? describe : describe.skip;

const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? '';
const servedBy = async (page: Page) => (await text(page, '#instance')).match(/instance-[A-Z]/)?.[0];
const cookieKeyId = async (page: Page) => (await text(page, '#cookie-key')).match(/[0-9a-f-]{36}/)?.[0];
/** The status cell of one key's row in the key ring table. */
const keyStatus = (page: Page, id: string) =>
  page.locator('#keys tr', { hasText: id }).locator('td').last().textContent();

/** Submits a form on the page and waits for the page it redirects to, so the next step sees its result. */
async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForURL(/.*/, { waitUntil: 'load' }), page.click(button)]);
}

/** Runs `body` against `pnpm demo` with REDIS_URL (two instances behind its proxy) and a headless Chromium. */
async function withDemo(
  redisUrl: string,
  body: (demo: { base: string; browser: Browser }) => Promise<void>,
): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const demo = new ManagedProcess(process.execPath, ['--conditions=source', DEMO], {
    description: 'pnpm demo with REDIS_URL',
    env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, SHOP_KEY_RING_CHECK: '1s' },
  });
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
    await waitUntil(async () => demo.output.includes(base), 'the demo to print its URL', {
      timeoutMs: 30_000,
    });
    await body({ base, browser });
  } finally {
    await browser.close();
    await demo.stop();
  }
}

describeIfChromium(
  `the demo in a browser${available ? '' : ` (skipped: no Chromium at ${CHROMIUM}; apt-get install -y chromium)`}`,
  () => {
    describeWithService(services.redis({ spawn: true }), 'with REDIS_URL', (redis) => {
      test('the cart survives replacing the instance that served it; revoking its key ends the session', async () => {
        await withDemo(redis().url, async ({ base, browser }) => {
          const page = await browser.newPage();
          await page.goto(base);
          await page.fill('#user', 'Ada');
          await page.check('#remember');
          await submit(page, '#sign-in');
          expect(await text(page, '#remembered')).toContain('30 days');
          // "Remember me": the browser keeps the cookie for 30 days, not until it closes.
          const [cookie] = await page.context().cookies();
          expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
          await submit(page, '#add-tea');
          await submit(page, '#add-biscuits');
          expect(await page.locator('#cart li').allTextContents()).toEqual(['Tea', 'Biscuits']);
          // The page shows what the session holds, and which key of the ring protects the cookie.
          expect(await text(page, '#session-entries')).toContain('["Tea","Biscuits"]');
          const firstKey = (await cookieKeyId(page))!;
          expect(firstKey).toBeDefined();
          expect(await keyStatus(page, firstKey)).toContain('active (protects your cookie)');

          const seen = new Set<string | undefined>();
          for (let i = 0; i < 4; i++) {
            await page.reload();
            seen.add(await servedBy(page));
            expect(await text(page, '#greeting')).toContain('Ada');
          }
          expect(seen).toEqual(new Set(['instance-A', 'instance-B']));

          // Stop the instance that served this page, start a new one, and be served by the new one.
          const stopped = (await servedBy(page))!;
          await submit(page, `#stop-${stopped}`);
          expect(await text(page, '#instances')).not.toContain(stopped);
          await submit(page, '#start-instance');
          expect(await text(page, '#instances')).toContain('instance-C');
          for (let i = 0; i < 3 && (await servedBy(page)) !== 'instance-C'; i++) await page.reload();
          expect(await servedBy(page)).toBe('instance-C');
          expect(await text(page, '#greeting')).toContain('Ada');
          expect(await page.locator('#cart li').allTextContents()).toEqual(['Tea', 'Biscuits']);
          mkdirSync(ARTIFACTS, { recursive: true });
          await page.screenshot({ path: join(ARTIFACTS, 'demo-instance-replaced.png'), fullPage: true });

          // Revoke the cookie's key: once the instances notice, the cookie is refused and the session ends.
          await submit(page, '#revoke-key');
          expect(await text(page, '#notice')).toContain(firstKey);
          // Each instance notices on its own check: wait until both running ones have refused the cookie, or
          // the next sign-in may reach one that still protects with the revoked key.
          const refusedBy = new Set<string>();
          await waitUntil(
            async () => {
              await page.reload();
              if ((await page.locator('#greeting').count()) === 0) refusedBy.add((await servedBy(page))!);
              return refusedBy.size === 2;
            },
            'both instances to refuse the revoked key',
            { timeoutMs: 15_000, intervalMs: 300 },
          );
          expect(await text(page, '#cart')).toContain('Your cart is empty');
          expect(await keyStatus(page, firstKey)).toContain('revoked');
          // The cookie still names the revoked key: the page says so instead of offering to revoke it again.
          expect(await page.locator('#revoke-key').count()).toBe(0);
          expect(await text(page, '#cookie-key-revoked')).toContain(firstKey);
          // Signing in again gets a cookie protected with a new key.
          await page.fill('#user', 'Ada');
          await submit(page, '#sign-in');
          const secondKey = await cookieKeyId(page);
          expect(secondKey).toBeDefined();
          expect(secondKey).not.toBe(firstKey);
          expect(await keyStatus(page, secondKey!)).toContain('active (protects your cookie)');
          await page.screenshot({ path: join(ARTIFACTS, 'demo-after-revocation.png'), fullPage: true });
        });
      }, 120_000);

      test('Your devices: signed in from two browsers, one signs the other out', async () => {
        await withDemo(redis().url, async ({ base, browser }) => {
          // Two browsers: two cookie jars.
          const laptop = await (await browser.newContext()).newPage();
          const phone = await (await browser.newContext()).newPage();
          for (const page of [laptop, phone]) {
            await page.goto(base);
            await page.fill('#user', 'Grace');
            await submit(page, '#sign-in');
            expect(await text(page, '#greeting')).toContain('Grace');
          }
          await laptop.reload();
          const rows = laptop.locator('#devices tr.device');
          expect(await rows.count()).toBe(2);
          expect(await laptop.locator('#devices tr.current').count()).toBe(1);
          expect(await text(laptop, '#devices')).toContain('Chrome on Linux');
          await laptop.screenshot({ path: join(ARTIFACTS, 'demo-your-devices.png'), fullPage: true });
          // The other row's button signs the phone out, on whichever instance serves it next.
          await submit(laptop, '#devices tr.device:not(.current) button');
          expect(await laptop.locator('#devices tr.device').count()).toBe(1);
          expect(await text(laptop, '#greeting')).toContain('Grace');
          for (let i = 0; i < 2; i++) {
            await phone.reload();
            expect(await phone.locator('#greeting').count()).toBe(0);
            expect(await phone.locator('#sign-in').count()).toBe(1);
          }
        });
      }, 120_000);
    });
  },
);
