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

/** The Cookie header for a request: the variant's own cookie among the others, not first, as a browser's often is. */
export function cookieHeader(own: string | undefined): string | undefined {
  const cookies =
    own === undefined ? OTHER_COOKIES : [...OTHER_COOKIES.slice(0, 7), own, ...OTHER_COOKIES.slice(7)];
  return cookies.length > 0 ? cookies.join('; ') : undefined;
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
