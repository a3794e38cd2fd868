/**
 * What a cache in front of another (HybridCache's in-process L1) uses to tell its other instances that
 * entries changed: a publish/subscribe channel on a shared server (Redis pub/sub, PostgreSQL LISTEN/NOTIFY).
 * Messages are short strings; delivery is at most once, so a subscriber that lost its connection hears
 * `onResubscribed` and must assume it missed messages.
 */
export interface InvalidationBus {
  /** The most bytes one message may hold (PostgreSQL's NOTIFY: under 8000); longer lists are sent in parts. */
  readonly messageLimit?: number;
  /** Sends a message to every subscriber (this instance's own subscription may hear it too). */
  publish(message: string): Promise<void>;
  /**
   * Starts listening. Resolves once subscribed, with a function that stops listening; rejects when the
   * subscription could not be made (the caller goes on without it, and may try again).
   */
  subscribe(handlers: InvalidationBusHandlers): Promise<() => Promise<void>>;
}

export interface InvalidationBusHandlers {
  onMessage(message: string): void;
  /** The subscription was lost and is back: messages sent meanwhile did not arrive. */
  onResubscribed(): void;
  /** The subscription was lost (it comes back by itself when the server does). */
  onLost?(error: unknown): void;
}
