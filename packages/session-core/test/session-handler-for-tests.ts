// The SessionHandler with the calls these tests are written in: begin() resolves with the app's Session,
// and end(), responseHeaders(), replaced() and endAfterFailure() take that Session back. Each call goes to
// the real handler with the request's SessionState, as an adapter holds it; the adapters' suites drive the
// state-based calls through real frameworks.
import type { Session, SessionOptions } from '@sharedstate/session-core';
import {
  SessionHandler as AdapterSessionHandler,
  type SessionReceiver,
  type SessionRequest,
  type SessionResponseHeaders,
  type SessionState,
} from '@sharedstate/session-core/adapter';

/** Each session's state, as its adapter would hold it. */
const states = new WeakMap<object, SessionState>();

/** The middleware's state of a session these handlers made. */
export function stateOf(session: Session<object> | Session): SessionState {
  const state = states.get(session);
  if (state === undefined) throw new Error('not a session of a test handler');
  return state;
}

const remembered = (state: SessionState): Session => {
  states.set(state.session, state);
  return state.session as Session;
};

export class SessionHandler {
  readonly handler: AdapterSessionHandler;
  /** The options it was made with, as given. */
  readonly options: SessionOptions;

  constructor(options: SessionOptions) {
    this.handler = new AdapterSessionHandler(options);
    this.options = options;
  }

  begin(request: SessionRequest): Promise<Session> {
    return this.handler.begin(request).then(remembered);
  }

  beginThen(
    request: SessionRequest,
    receiver: { sessionReady(session: Session): void; sessionFailed(error: unknown): void },
  ): void {
    const forState: SessionReceiver = {
      sessionReady: (state) => receiver.sessionReady(remembered(state)),
      sessionFailed: (error) => receiver.sessionFailed(error),
    };
    this.handler.beginThen(request, forState);
  }

  end(session: Session<object> | Session): Promise<void> | undefined {
    return this.handler.end(stateOf(session));
  }

  endAfterFailure(session: Session<object> | Session): Promise<void> {
    return this.handler.endAfterFailure(stateOf(session));
  }

  responseHeaders(session: Session<object> | Session): SessionResponseHeaders {
    return this.handler.responseHeaders(stateOf(session));
  }

  replaced(session: Session<object> | Session, value: unknown, property: string): void {
    this.handler.replaced(stateOf(session), value, property);
  }

  checkPropertyViews(): void {
    this.handler.checkPropertyViews();
  }

  readiness(): ReturnType<AdapterSessionHandler['readiness']> {
    return this.handler.readiness();
  }
}
