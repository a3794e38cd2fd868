import type { TracingChannel } from 'node:diagnostics_channel';

/** What every traced operation's context carries once it failed. */
export interface TracedContext {
  error?: unknown;
}

/**
 * Runs `run` under `channel` as TracingChannel.tracePromise does (start, end, then error, asyncStart and
 * asyncEnd once the promise settles; bound stores entered around `run`), except that the resolved value is
 * never put on the context: `settled` records what subscribers may see of it instead (a cache value or a
 * session's contents must not reach them). `failed` runs before the error is published.
 *
 * Callers check `channel.hasSubscribers` first, so that an operation nobody watches pays for nothing here.
 */
export function traceOperation<C extends TracedContext, T>(
  channel: TracingChannel<unknown, C>,
  context: C,
  run: () => Promise<T>,
  settled: (context: C, value: T) => void,
  failed?: (context: C, error: unknown) => void,
): Promise<T> {
  return channel.start.runStores(context, () => {
    let pending: Promise<T>;
    try {
      pending = run();
    } catch (error) {
      context.error = error;
      failed?.(context, error);
      channel.error.publish(context);
      throw error;
    } finally {
      channel.end.publish(context);
    }
    return pending.then(
      (value) => {
        settled(context, value);
        channel.asyncStart.publish(context);
        channel.asyncEnd.publish(context);
        return value;
      },
      (error: unknown) => {
        context.error = error;
        failed?.(context, error);
        channel.error.publish(context);
        channel.asyncStart.publish(context);
        channel.asyncEnd.publish(context);
        throw error;
      },
    );
  });
}
