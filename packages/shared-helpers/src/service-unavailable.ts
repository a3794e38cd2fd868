/** Seconds a client is asked to wait before retrying a request that met an outage of a backend. */
const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * What an outage error answers in each framework's default error handling: `status`/`statusCode` and
 * `headers` (Express's final handler, Koa's onerror, Fastify's error handler read them), and
 * `getResponse()` (Hono's default onError answers with it). The message stays out of the response.
 */
export interface ServiceUnavailableAnswer {
  readonly status: 503;
  readonly statusCode: 503;
  readonly expose: false;
  readonly headers: Readonly<Record<'Retry-After', string>>;
  getResponse(): Response;
}

const HEADERS = Object.freeze({ 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) });

/** Makes `error` answer as 503 Service Unavailable with Retry-After (see ServiceUnavailableAnswer). */
export function answerAsServiceUnavailable<T extends Error>(error: T): T & ServiceUnavailableAnswer {
  // Writable: Koa's onerror writes the status it answered back onto the error.
  const hidden = (value: unknown): PropertyDescriptor => ({
    value,
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return Object.defineProperties(error, {
    status: hidden(503),
    statusCode: hidden(503),
    expose: hidden(false),
    headers: hidden(HEADERS),
    getResponse: hidden(() => new Response('Service Unavailable', { status: 503, headers: { ...HEADERS } })),
  }) as T & ServiceUnavailableAnswer;
}

/** Whether an error is an outage that answers 503 (see answerAsServiceUnavailable). */
export function isServiceUnavailable(error: unknown): boolean {
  return (error as { statusCode?: unknown } | null | undefined)?.statusCode === 503;
}
