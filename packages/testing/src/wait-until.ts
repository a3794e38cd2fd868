/** Polls `check` until it returns true, or throws with `what` and the last error after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  { timeoutMs = 15_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  // Not `instanceof Error`: an error from another realm (a jest sandbox, a worker) is one too.
  const message = (lastError as { message?: unknown } | undefined)?.message;
  const detail = typeof message === 'string' ? ` (last error: ${message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}
