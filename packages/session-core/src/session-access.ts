import { FOR_LIBRARIES } from './foreign-session-members.ts';
import { SessionStateError, SessionUnavailableError, SessionUsageError } from './session-errors.ts';
import type { SessionHost } from './session-host.ts';
import type { SessionState } from './session-state.ts';

// What the Session checks before it reads or changes anything: each check throws the error that says why
// the call cannot be served now, and returns the state when it can.

/**
 * express-session's regenerate, destroy and save take a callback that ends the request; these methods never
 * call one, so a callback passed out of habit would leave the request hanging. A synchronous throw reaches
 * the framework's error handling (a rejection nobody awaits would not).
 */
export function refuseArguments(method: string, given: number, instead: string): void {
  if (given !== 0) {
    throw new SessionUsageError(
      `session.${method}() takes no arguments and calls no callback: ${instead}. ${FOR_LIBRARIES}.`,
    );
  }
}

export function loadedState(state: SessionState): SessionState {
  if (!state.loaded) {
    throw new SessionStateError(
      "The session is not loaded yet: call `await session.load()` first (the middleware uses load: 'lazy').",
    );
  }
  return state;
}

/** The state of a session that can be changed: loaded, and read from a reachable store. */
export function availableState(state: SessionState): SessionState {
  loadedState(state);
  if (!state.available) {
    const cause = state.unavailableCause;
    const why = cause instanceof Error ? ` (${cause.message})` : '';
    throw new SessionUnavailableError(
      `The session store or the key ring could not be reached when this request began${why}; the change cannot be saved.`,
      cause === undefined ? undefined : { cause },
    );
  }
  return state;
}

/** The state of a session a value can be written to now: available, not destroyed, and established. */
export function changeableState(host: SessionHost, state: SessionState): SessionState {
  availableState(state);
  if (state.destroyed) throw new SessionStateError('This session was destroyed in this request.');
  if (!state.established) {
    // The cookie goes out with the response headers; once they left, a new session cannot reach the browser.
    if (state.request.responseStarted()) {
      throw new SessionStateError('The session cannot be established after the response has started.');
    }
    state.cookieValue ??= host.cookieValueFor(state.key);
    state.established = true;
  }
  return state;
}

/**
 * A change once the response was sent and the request's end saved the session would be lost without a
 * word, on a new session and an existing one alike: it is refused, and reported to the handler's logger
 * too, since the code that made it (a promise the route did not await) may have no one to catch the error.
 */
export function refuseAfterEnd(host: SessionHost, state: SessionState, change: string): void {
  // A streamed body may still change the session and commit() it.
  if (!state.ended || state.request.responseFinished?.() === false) return;
  const error = new SessionStateError(
    `session.${change} came after the request ended and its session was saved: the change would be lost. ` +
      'Await the work that changes the session before sending the response (is an `await` missing?).',
  );
  host.changedAfterEnd(error);
  throw error;
}

/** A new key means a new cookie, which can only go out with the response headers. */
export function refuseAfterResponse(state: SessionState, method: string): void {
  if (state.request.responseStarted()) {
    throw new SessionStateError(
      `session.${method}() cannot run after the response has started: the new cookie goes out with the headers.`,
    );
  }
}
