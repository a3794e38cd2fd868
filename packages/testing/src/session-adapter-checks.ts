import { waitUntil } from './wait-until.ts';

/** A session id as session.id (and req.sessionID) gives it: a GUID in .NET's "D" format, lower case. */
export const SESSION_ID_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The first cookie a response sets, as `name=value`: what a browser sends back. */
export function cookieOf(response: Response): string | undefined {
  return response.headers.get('set-cookie')?.split(';')[0];
}

/**
 * The Set-Cookie of a session established by `POST /add/x` (the suites' route) through a proxy that reports
 * the client's scheme as `proto` in X-Forwarded-Proto (none when undefined): every adapter's suite checks
 * that the cookie is Secure exactly when the framework trusts the proxy and it reports https.
 */
export async function setCookieForwardedAs(url: string, proto: string | undefined): Promise<string | null> {
  const response = await fetch(`${url}/add/x`, {
    method: 'POST',
    redirect: 'manual',
    headers: proto === undefined ? {} : { 'x-forwarded-proto': proto },
  });
  await response.arrayBuffer();
  return response.headers.get('set-cookie');
}

/** What a session adapter did with requests that failed after changing the session. */
export interface FailedRequestOutcome {
  /** The status of a request that added to an existing session's cart, then failed. */
  failedStatus: number;
  /** That session's cart, read by the next request. */
  cartAfterFailure: unknown;
  /** The status of the same failing request made without a session. */
  freshStatus: number;
  /** The cart of the session that request started, if its response carried a cookie. */
  freshCart: unknown;
}

/**
 * Makes, against a running app, the requests every adapter's suite uses to show that a failed request keeps
 * what it changed. The app has the suites' routes: `POST /add/:item` adds to a cart in the session and
 * redirects, `POST /fail/:item` adds and then fails with 400, and `GET /cart` answers the cart as JSON.
 */
export async function failedRequestOutcome(url: string): Promise<FailedRequestOutcome> {
  const added = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
  const cookie = cookieOf(added);
  if (cookie === undefined) throw new Error(`POST ${url}/add/book set no session cookie (${added.status}).`);
  const failed = await fetch(`${url}/fail/pen`, { method: 'POST', headers: { cookie } });
  const cartAfterFailure = await (await fetch(`${url}/cart`, { headers: { cookie } })).json();
  const fresh = await fetch(`${url}/fail/ink`, { method: 'POST' });
  const freshCookie = cookieOf(fresh);
  const freshCart =
    freshCookie === undefined
      ? undefined
      : await (await fetch(`${url}/cart`, { headers: { cookie: freshCookie } })).json();
  return { failedStatus: failed.status, cartAfterFailure, freshStatus: fresh.status, freshCart };
}

/** What an app started while its backend was down did, and how it recovered. */
export interface OutageOutcome {
  /** `GET /plain`, a route that never touches the session: its status and time in milliseconds. */
  plain: { status: number; ms: number };
  /** `GET /cart` without a cookie: what it answered (`{ available, cart }`) and its time. */
  read: { status: number; body: unknown; ms: number };
  /** `POST /add/book`: its status (the write must fail) and its time. */
  write: { status: number; ms: number };
  /** From `startBackend` resolving until a write succeeds and its session reads back. */
  recoveredMs: number;
  /** That session's cart, read with its cookie. */
  cartAfterRecovery: unknown;
}

/**
 * Makes, against an app started while its key ring and cache (one Redis) were down, the requests every
 * adapter's suite uses to show that an outage takes down no route that does not need the session, and that
 * the app recovers on its own. Routes: `GET /plain` answers without the session, `GET /cart` answers
 * `{ available: session.isAvailable, cart }`, `POST /add/:item` adds to the cart and answers 200.
 */
export async function outageOutcome(url: string, startBackend: () => Promise<void>): Promise<OutageOutcome> {
  const timed = async (path: string, init?: RequestInit) => {
    const started = performance.now();
    const response = await fetch(`${url}${path}`, { redirect: 'manual', ...init });
    const text = await response.text();
    return { response, text, ms: performance.now() - started };
  };
  const plain = await timed('/plain');
  const read = await timed('/cart');
  const write = await timed('/add/book', { method: 'POST' });
  await startBackend();
  const started = performance.now();
  let cookie: string | undefined;
  await waitUntil(
    async () => {
      const added = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
      await added.arrayBuffer();
      cookie = cookieOf(added);
      return added.status === 200 && cookie !== undefined;
    },
    'a session write after the backend came back',
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  const recoveredMs = performance.now() - started;
  const after = await fetch(`${url}/cart`, { headers: { cookie: cookie! } });
  return {
    plain: { status: plain.response.status, ms: plain.ms },
    read: { status: read.response.status, body: JSON.parse(read.text), ms: read.ms },
    write: { status: write.response.status, ms: write.ms },
    recoveredMs,
    cartAfterRecovery: ((await after.json()) as { cart: unknown }).cart,
  };
}

/**
 * What every adapter must show in an outage (see outageOutcome): the route without the session answers
 * 200, the session route answers with an unavailable session, the write fails, none of them waiting for the
 * backend's `timeoutMs`; after the backend returns, a write is kept.
 */
export function expectOutageHandled(outcome: OutageOutcome, timeoutMs: number): void {
  const within = (ms: number) => ms < timeoutMs / 2;
  expect({ status: outcome.plain.status, fast: within(outcome.plain.ms) }).toEqual({
    status: 200,
    fast: true,
  });
  expect({ ...outcome.read, ms: within(outcome.read.ms) }).toEqual({
    status: 200,
    body: { available: false, cart: [] },
    ms: true,
  });
  expect({ status: outcome.write.status, fast: within(outcome.write.ms) }).toEqual({
    status: 500,
    fast: true,
  });
  expect(outcome.cartAfterRecovery).toEqual(['book']);
}
