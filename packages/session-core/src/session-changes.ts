/**
 * What a request did to its session, in order, kept in the no-lost-updates mode (`concurrentUpdates:
 * 'merge'`): when another request saved the session first, these are applied again to what it saved. Sets
 * and removes replay as they were; an update runs its function again on the value it finds then.
 */
export type SessionChange =
  | { readonly kind: 'set'; readonly key: string; readonly value: Uint8Array }
  | { readonly kind: 'remove'; readonly key: string }
  | { readonly kind: 'clear' }
  | { readonly kind: 'update'; readonly key: string; readonly update: (current: unknown) => unknown };
