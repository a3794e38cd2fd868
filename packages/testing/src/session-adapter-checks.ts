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
