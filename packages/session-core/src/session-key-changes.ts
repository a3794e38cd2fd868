import { availableState, changeableState, refuseAfterEnd, refuseAfterResponse } from './session-access.ts';
import type { SessionHost } from './session-host.ts';
import type { SessionState } from './session-state.ts';

// Moving a session to a new key and cookie: renewKey(), and the sign-in, sign-out and regenerate() that
// move it while they bind it to a user or unbind it.

/** Gives the session a new key and cookie; the old entry is removed at the save. */
export async function renewKey(host: SessionHost, state: SessionState, method: string): Promise<void> {
  refuseAfterEnd(host, state, method);
  availableState(state);
  refuseAfterResponse(state, method);
  const key = host.newKey();
  if (state.hadCookie && state.replacedKey === undefined) state.replacedKey = state.key;
  state.key = key;
  state.cookieValue = host.cookieValueFor(key);
  state.established = true;
  state.touched();
  // A remembered session's new cookie goes out with its full lifetime (see the handler's response cookie).
  if (state.lifetimeMs !== undefined) state.stampLifetime(state.lifetimeMs);
  if (state.binding !== undefined) {
    // Nothing is stored under the new key yet; the user's index must learn it before the save.
    state.stored = undefined;
    state.indexStale = true;
  }
}

/** Binds the session to `userId` on a new key, after leaving the list of a user it was bound to. */
export async function signIn(
  host: SessionHost,
  state: SessionState,
  userId: string,
  device: string | undefined,
): Promise<void> {
  changeableState(host, state);
  refuseAfterResponse(state, 'signIn');
  if (state.binding !== undefined) await host.unbind(state);
  await renewKey(host, state, 'signIn');
  await host.bind(state, userId, device);
}

/** Takes a bound session out of its user's list and moves it to a new key; nothing for an unbound one. */
export async function signOut(host: SessionHost, state: SessionState): Promise<void> {
  refuseAfterEnd(host, state, 'signOut');
  availableState(state);
  if (state.binding === undefined) return;
  refuseAfterResponse(state, 'signOut');
  await host.unbind(state);
  await renewKey(host, state, 'signOut');
}

/** regenerate()'s move: out of the user's list (when signed in), then to a new key. */
export async function regenerateKey(host: SessionHost, state: SessionState): Promise<void> {
  if (state.loaded && state.binding !== undefined) {
    refuseAfterEnd(host, state, 'regenerate');
    refuseAfterResponse(state, 'regenerate');
    await host.unbind(state);
  }
  await renewKey(host, state, 'regenerate');
}
