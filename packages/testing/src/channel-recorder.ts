import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';

/** One message seen on a tracing channel, copied at the moment it was published. */
export interface TracedMessage<T> {
  phase: 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
  message: T;
}

/** What a recorder saw; `stop()` unsubscribes. */
export interface ChannelRecording<T> {
  readonly messages: T[];
  stop(): void;
}

/**
 * Subscribes to every event of the tracing channel `name` and keeps a copy of each message as it was when
 * published (the same object travels through all events of an operation and changes on the way).
 */
export function recordTracingChannel<T extends object>(
  name: string,
): ChannelRecording<TracedMessage<T>> & {
  /** The messages of operations that settled (their asyncEnd), in order. */
  ended(): T[];
} {
  const messages: TracedMessage<T>[] = [];
  const keep = (phase: TracedMessage<T>['phase']) => (message: unknown) =>
    messages.push({ phase, message: { ...(message as T) } });
  const handlers = {
    start: keep('start'),
    end: keep('end'),
    asyncStart: keep('asyncStart'),
    asyncEnd: keep('asyncEnd'),
    error: keep('error'),
  };
  const channel = tracingChannel(name);
  channel.subscribe(handlers);
  return {
    messages,
    stop: () => channel.unsubscribe(handlers),
    ended: () => messages.filter(({ phase }) => phase === 'asyncEnd').map(({ message }) => message),
  };
}

/** Subscribes to the plain channel `name` and keeps each message published. */
export function recordChannel<T>(name: string): ChannelRecording<T> {
  const messages: T[] = [];
  const listener = (message: unknown) => messages.push(message as T);
  subscribe(name, listener);
  return { messages, stop: () => unsubscribe(name, listener) };
}
