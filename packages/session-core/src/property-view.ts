import { MEMBERS } from './foreign-session-members.ts';
import { PropertySessionCookie } from './property-session-cookie.ts';
import type { Session } from './session.ts';
import { SessionUsageError } from './session-errors.ts';
import type { SessionState } from './session-state.ts';

export type Callback = (error?: unknown) => void;

/**
 * What a view knows besides its values; under a symbol, so for…in, Object.keys and JSON skip it. A class, not
 * an object literal: V8 moves a literal's allocation site to the old generation once its objects outlive a
 * young-generation collection, which per-request objects do while their requests are in flight, and every
 * view was then collected only by full collections.
 */
export class ViewState {
  readonly session: Session<object>;
  /** The middleware's state of that session. */
  readonly sessionState: SessionState;
  /** Each value as JSON when it was loaded or last written: only values that changed are written back. */
  readonly written = new Map<string, string>();
  /** Puts the view that replaces this one where the app finds it (undefined after destroy). */
  readonly replace: (next: PropertyView | undefined) => void;
  /** Replaced by regenerate() or ended by destroy(): its values are no longer the session's. */
  detached = false;
  /** Where an error thrown by a callback that regenerate() or save() calls later goes (see createPropertyView). */
  readonly callbackFailed: (error: unknown) => void;

  constructor(
    sessionState: SessionState,
    replace: (next: PropertyView | undefined) => void,
    callbackFailed: (error: unknown) => void,
  ) {
    this.session = sessionState.session;
    this.sessionState = sessionState;
    this.replace = replace;
    this.callbackFailed = callbackFailed;
  }
}

export const VIEW = Symbol('sharedstate.propertyView');

/**
 * Calls back from a settled save or regenerate. The callback runs inside a promise reaction, where a throw
 * would be an unhandled rejection and end the process; it goes to the view's callbackFailed instead.
 */
export function callBack(state: ViewState, callback: Callback | undefined, error?: unknown): void {
  try {
    if (error === undefined) callback?.();
    else callback?.(error);
  } catch (thrown) {
    state.callbackFailed(thrown);
  }
}

/** Without an adapter's error handling: an uncaught exception, as express-session's callbacks give. */
const throwUncaught = (error: unknown): void =>
  process.nextTick(() => {
    throw error;
  });

export function callbackOf(method: string, done: unknown): Callback | undefined {
  if (done === undefined) return undefined;
  if (typeof done !== 'function') {
    throw new SessionUsageError(`session.${method}() takes an optional callback; got ${typeof done}.`);
  }
  return done as Callback;
}

/**
 * What the session objects of other libraries (express-session, koa-session, @fastify/session) have in
 * common, for the libraries written against them: values are plain properties, stored as JSON under their
 * names, so `getSession(req).getJson('passport')` reads the same value. Values that are not JSON (bytes, or
 * text written with setString) stay in the session but are not properties. Each style adds its library's
 * methods.
 *
 * The session handler writes the changed properties to the session (syncPropertySession) before the
 * response headers go out, before a commit and at the end of the request.
 */
export abstract class PropertyView {
  /** In a private field: invisible to for…in, Object.keys, JSON and spreads (`{ ...req.session }`). */
  #state: ViewState | undefined;

  /** What the view knows besides its values. */
  get [VIEW](): ViewState {
    return this.#state!;
  }

  /** Gives a new view its state, once (createPropertyView). */
  static attach(view: PropertyView, state: ViewState): void {
    view.#state = state;
  }

  /** The session's id, as express-session's `req.session.id`. */
  get id(): string {
    return this[VIEW].session.id;
  }

  /** The session is read once per request; there is nothing newer to read. */
  reload(): never {
    throw new SessionUsageError(`${MEMBERS.reload}.`);
  }

  /**
   * The per-session cookie, for "remember me": `cookie.maxAge = ms` is the session's rememberFor(ms),
   * `cookie.maxAge = null` (or `cookie.expires = false`) its rememberFor(false).
   */
  get cookie(): PropertySessionCookie {
    return new PropertySessionCookie(this[VIEW].sessionState);
  }

  /** A new session (new key, cookie and id; no values) in a new view of the same style, put in this one's place. */
  protected renewed(): Promise<this> {
    const state = this[VIEW];
    // As express-session's and @fastify/session's: the new session is empty and has a new id.
    return state.session.regenerate().then(() => {
      state.detached = true;
      const next = createPropertyView(
        this.constructor as new () => this,
        state.sessionState,
        state.replace,
        state.callbackFailed,
      );
      state.replace(next);
      return next;
    });
  }

  /** Ends the session (the entry removed, the cookie expired) and takes this view away from the request. */
  protected ended(): void {
    const state = this[VIEW];
    state.session.destroy();
    state.detached = true;
    state.sessionState.syncView = undefined;
    state.replace(undefined);
  }
}

/** Stands for a stored value that is not JSON. */
const NOT_JSON = Symbol('not JSON');

/** A stored value's JSON, parsed; NOT_JSON if it is not JSON. */
function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/**
 * A property view of a loaded session, of the given style: each value stored as JSON under a name that is
 * not one of the view's members becomes a property. `replace` puts a view where the app finds it
 * (req.session); regenerate() and destroy() call it. `callbackFailed` takes an error thrown by the app's
 * callback once a save or regenerate has settled (an adapter passes its framework's error handling; by
 * default it is an uncaught exception). The session handler syncs the session's current view before the
 * response headers, before a commit and at the end of the request.
 */
export function createPropertyView<View extends PropertyView>(
  Style: new () => View,
  sessionState: SessionState,
  replace: (next: View | undefined) => void,
  callbackFailed: (error: unknown) => void = throwUncaught,
): View {
  const view = new Style();
  const state = new ViewState(sessionState, replace as ViewState['replace'], callbackFailed);
  const { session, written } = state;
  PropertyView.attach(view, state);
  sessionState.syncView = () => syncPropertySession(view);
  if (session.isLoaded) {
    const values = view as unknown as Record<string, unknown>;
    for (const name of session.keys()) {
      // A stored name that is a member here ('id', 'cookie', 'save', '__proto__') stays a session value only.
      if (name in view) continue;
      const text = session.getString(name);
      const value = text === undefined ? NOT_JSON : parsedJson(text);
      if (value === NOT_JSON) continue;
      values[name] = value;
      // Canonical (as JSON.stringify writes it), so that an unchanged value is never written back.
      written.set(name, JSON.stringify(value));
    }
  }
  return view;
}

/**
 * Writes to the session what changed in the view since it was made or last synced: a new or changed
 * property is stored as JSON, a deleted one (or one set to undefined) is removed. Values written through
 * the session's own methods in the meantime are left alone unless the same property changed too.
 */
export function syncPropertySession(view: PropertyView): void {
  const state = view[VIEW];
  if (state.detached || state.sessionState.destroyed) return;
  const { session, written } = state;
  const values = view as unknown as Record<string, unknown>;
  const present = new Set<string>();
  for (const name of Object.keys(values)) {
    const text = JSON.stringify(values[name]);
    if (text === undefined) continue;
    present.add(name);
    if (written.get(name) === text) continue;
    session.setString(name, text);
    written.set(name, text);
  }
  for (const name of written.keys()) {
    if (present.has(name)) continue;
    session.remove(name);
    written.delete(name);
  }
}
