// The Cookie headers the HTTP benchmarks send.
/**
 * BENCH_OTHER_COOKIES=1: the eight cookies a browser brings to a site with analytics, a consent banner and a
 * preference or two, sent beside each variant's own, so every middleware finds its cookie among them.
 */
export const OTHER_COOKIES =
  process.env.BENCH_OTHER_COOKIES === '1'
    ? [
        '_ga=GA1.1.1234567890.1732500000',
        '_ga_ABC123=GS1.1.1732500000.1.1.1732500100.0.0.0',
        '_gid=GA1.1.987654321.1732500000',
        'cookie_consent=accepted',
        'theme=dark',
        'lang=en-GB',
        '_fbp=fb.1.1732500000000.1234567890',
        '_hjSessionUser_123=eyJpZCI6IjEyMyJ9',
      ]
    : [];

/**
 * What the variants without a session (bare, get, get-set) are sent in place of a session cookie: one with
 * our cookie's name and length (a protected session key, percent-encoded: 180 to 186 characters), so that
 * every variant receives the same bytes and "over bare" and "over floor" count only what a middleware does
 * with them.
 */
export const STAND_IN_SESSION_COOKIE = `sharedstate.sid=${'CfDJ8'.padEnd(184, 'a1B2c3D4e5F6g7H8i9J0%2B%2F')}`;

/** The Cookie header for a request: the variant's own cookie among the others, not first, as a browser's often is. */
export function cookieHeader(own: string | undefined): string {
  const session = own ?? STAND_IN_SESSION_COOKIE;
  return [...OTHER_COOKIES.slice(0, 7), session, ...OTHER_COOKIES.slice(7)].join('; ');
}

/** The cookies a variant's server sets on a first write, as the Cookie header a browser sends back. */
export async function sessionCookie(url: string): Promise<string | undefined> {
  const response = await fetch(`${url}/write`, { method: 'POST' });
  await response.text();
  return (
    response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ') || undefined
  );
}
