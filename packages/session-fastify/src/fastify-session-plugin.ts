import {
  type Session,
  SessionConfigurationError,
  type SessionOptions,
  type SessionReadiness,
  type UserSessions,
} from '@sharedstate/session-core';
import {
  forwardedProto,
  readAdapterFlags,
  SESSION_SLOT,
  SessionHandler,
  type SessionReceiver,
  type SessionRequest,
  type SessionState,
  sessionIn,
} from '@sharedstate/session-core/adapter';
import { fastifyLoggerOf } from '@sharedstate/shared-helpers';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { createFastifyPropertySession, type FastifyPropertySession } from './fastify-property-session.ts';

/**
 * The app's session data, for TypeScript: add its values by declaration merging,
 * `declare module '@sharedstate/session-fastify' { interface SessionData { cart: string[] } }`; then
 * `request.session.getJson('cart')` is a `string[] | undefined`. Names not declared read as unknown.
 */
export interface SessionData {
  [name: string]: unknown;
}

/**
 * How the plugin is registered, for TypeScript. With `properties: true`, also declare
 * `declare module '@sharedstate/session-fastify' { interface SessionPluginTypes { properties: true } }`, so
 * that `request.session` is typed as the @fastify/session-style object it then is.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the app through declaration merging.
export interface SessionPluginTypes {}

/** What `request.session` is: the Session, or with `properties: true` a @fastify/session-style object. */
export type RequestSession = SessionPluginTypes extends { properties: true }
  ? FastifyPropertySession & Partial<SessionData>
  : Session<SessionData>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session (see @sharedstate/session-fastify). */
    session: RequestSession;
  }
  interface FastifyInstance {
    /**
     * For a readiness probe: whether the key ring is loaded and the cache answers now (see
     * SessionReadiness). With the plugin registered more than once, the first registration's.
     */
    sessionReadiness(): Promise<SessionReadiness>;
    /**
     * Listing and ending each user's signed-in sessions (see session.signIn), from any instance. With the
     * plugin registered more than once, the first registration's.
     */
    userSessions: UserSessions;
  }
}

export interface FastifySessionPluginOptions extends SessionOptions {
  /**
   * `request.session` as @fastify/session's object, for plugins written against it: @fastify/passport and
   * @fastify/flash (`get(name)`, `set(name, value)`, `regenerate(keep)` returning a promise). Values are
   * plain JSON properties, so `getSession(request).getJson(name)` reads them too. Default false:
   * `request.session` is the Session, whose values go through getJson and setJson.
   */
  properties?: boolean;
}

/** Where the session is kept on the request (whoever owns `request.session`): SESSION_SLOT. */
interface Slots {
  [SESSION_SLOT]: Session<object> | null;
  /** Each registration's PendingReply, under its own key (see Registration.pendingKey). */
  [pendingKey: symbol]: PendingReply | Session<object> | null;
  session: unknown;
}

/** What one registration shares with all its requests. */
interface Registration {
  readonly handler: SessionHandler;
  readonly properties: boolean;
  /** This registration put `request.session` on Fastify's request (no other plugin had). */
  readonly claimed: boolean;
  /**
   * Where each request keeps this registration's PendingReply: one key per registration, decorated so that
   * Fastify's requests keep one shape, and so that a registration nested in another's scope (another cookie)
   * finds its own.
   */
  readonly pendingKey: symbol;
}

/**
 * One request's session: the request as session-core sees it, where the loaded session arrives (the
 * onRequest hook's `done`), and what the onSend hook needs.
 */
class PendingReply implements SessionRequest, SessionReceiver {
  readonly registration: Registration;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  #done: HookHandlerDoneFunction | undefined;
  readonly cookieHeader: string | undefined;
  state: SessionState | undefined = undefined;
  /** The onSend hook has run for this request (a second run is for the error reply of a failed save). */
  sent = false;
  /** The session is saved (or its save failed) and the cookie decided: a new session could not reach the browser now. */
  headersDecided = false;
  /** The route failed (Fastify's onError ran): its own error is what the client sees. */
  failed = false;

  constructor(
    registration: Registration,
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ) {
    this.registration = registration;
    this.request = request;
    this.reply = reply;
    this.#done = done;
    this.cookieHeader = request.headers.cookie;
  }

  /** request.protocol honours Fastify's trustProxy (X-Forwarded-Proto behind a load balancer). */
  get secure(): boolean {
    return this.request.protocol === 'https';
  }

  /** Read only to warn when a cookie goes out without Secure behind a proxy Fastify does not trust. */
  get forwardedProto(): string | undefined {
    return forwardedProto(this.request.headers['x-forwarded-proto']);
  }

  /** The onSend hook is saving the session; the reply waits for it. */
  get saving(): boolean {
    return this.sent && !this.headersDecided;
  }

  responseStarted(): boolean {
    return this.headersDecided || this.reply.raw.headersSent;
  }

  responseFinished(): boolean {
    return this.reply.raw.writableEnded;
  }

  sessionReady(state: SessionState): void {
    const session = state.session;
    const slots = this.request as unknown as Slots;
    this.state = state;
    slots[SESSION_SLOT] = session;
    const { registration } = this;
    if (registration.properties) {
      slots.session = createFastifyPropertySession(
        state,
        (next) => {
          slots.session = next ?? null;
        },
        // A throw in a callback the app passed to regenerate or save goes to Fastify's error handling.
        (error) => this.reply.send(error),
      );
    } else if (registration.claimed) {
      slots.session = session;
    }
    this.#continue();
  }

  sessionFailed(error: unknown): void {
    this.#continue(error);
  }

  #continue(error?: unknown): void {
    const done = this.#done!;
    this.#done = undefined;
    if (error === undefined) done();
    else done(error as Error);
  }
}

function addCookie(pending: PendingReply): void {
  pending.headersDecided = true;
  const { setCookie, cacheControl } = pending.registration.handler.responseHeaders(pending.state!);
  if (setCookie === undefined || pending.reply.raw.headersSent) return;
  // Fastify appends a second Set-Cookie rather than replacing the first.
  pending.reply.header('set-cookie', setCookie);
  for (const [name, value] of Object.entries(cacheControl)) pending.reply.header(name, value);
}

/** Saves the session of a reply about to be sent, then adds its cookie; a failed save fails the reply. */
function onSend(
  registration: Registration,
  request: FastifyRequest,
  payload: unknown,
  done: (error: Error | null, payload?: unknown) => void,
): void {
  const pending = ((request as unknown as Slots)[registration.pendingKey] ?? null) as PendingReply | null;
  // No session here (a route of another scope).
  if (pending === null || pending.state === undefined) {
    done(null, payload);
    return;
  }
  if (pending.saving) {
    // A second reply while the first one's save is in flight: a hook answered without `return reply` (as
    // @fastify/passport's successRedirect does) and the route answered too. Fastify drops a reply sent after
    // another; the save makes this one come early, so it is dropped here (its hook chain is never resumed).
    request.log.warn(
      `A second reply to ${request.method} ${request.url} was sent while the session of the first was being ` +
        'saved; the first is sent. Return the reply from hooks that answer, or answer in one place only.',
    );
    return;
  }
  // The error reply that replaces one whose save failed.
  if (pending.sent) {
    done(null, payload);
    return;
  }
  pending.sent = true;
  const { handler } = pending.registration;
  let saving: Promise<void> | undefined;
  try {
    // After a route error, the error is the answer; a save that fails as well is logged (or goes to
    // onCommitError), and this rejects only if onCommitError throws.
    saving = pending.failed ? handler.endAfterFailure(pending.state) : handler.end(pending.state);
  } catch (error) {
    failReply(pending, error, done);
    return;
  }
  if (saving === undefined) {
    addCookie(pending);
    done(null, payload);
    return;
  }
  saving.then(
    () => {
      addCookie(pending);
      done(null, payload);
    },
    (error: unknown) => failReply(pending, error, done),
  );
}

/**
 * Drops the route's reply (a redirect, a success page): it would claim the change was kept. Fastify then
 * answers through its error handling, with a 500 (a status the route set stays otherwise).
 */
function failReply(pending: PendingReply, error: unknown, done: (error: Error | null) => void): void {
  pending.headersDecided = true;
  const { reply } = pending;
  for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
  reply.code(500);
  done(error as Error);
}

/** Register keys Fastify reads itself; a plugin may be handed them with its options. */
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'] as const;

function sessionPlugin(
  fastify: FastifyInstance,
  options: FastifySessionPluginOptions,
  done: (error?: Error) => void,
): void {
  try {
    install(fastify, options);
  } catch (error) {
    // Fastify's way to fail start-up (app.ready(), app.listen()) with the plugin's error.
    done(error as Error);
    return;
  }
  done();
}

function install(fastify: FastifyInstance, options: FastifySessionPluginOptions): void {
  const given = { ...options } as Record<string, unknown>;
  for (const name of REGISTER_OPTIONS) delete given[name];
  const { properties: propertiesOption, ...sessionOptions } = given;
  const { properties } = readAdapterFlags('Fastify', { properties: propertiesOption }, ['properties']);
  if (sessionOptions.logger === undefined) sessionOptions.logger = fastifyLoggerOf(fastify.log);
  const handler = new SessionHandler(sessionOptions as unknown as SessionOptions);
  if (properties) handler.checkPropertyViews();
  // @fastify/session (or @fastify/secure-session) registered first during a migration keeps
  // request.session; getSession(request) gives ours.
  const claimed = !fastify.hasRequestDecorator('session');
  if (!claimed && properties) {
    throw new SessionConfigurationError(
      'The properties option puts the session in request.session, which another plugin (@fastify/session?) ' +
        'has decorated already: register only one of them, or leave properties off and use getSession(request).',
    );
  }
  // null until onRequest: Fastify keeps one shape for its requests.
  if (claimed) fastify.decorateRequest('session', null as unknown as RequestSession);
  if (!fastify.hasRequestDecorator(SESSION_SLOT)) fastify.decorateRequest(SESSION_SLOT, null);
  const pendingKey = Symbol('sharedstate.fastify.pending');
  fastify.decorateRequest(pendingKey, null);
  const registration: Registration = { handler, properties, claimed, pendingKey };
  if (!fastify.hasDecorator('sessionReadiness'))
    fastify.decorate('sessionReadiness', () => handler.readiness());
  if (!fastify.hasDecorator('userSessions')) fastify.decorate('userSessions', handler.userSessions);

  fastify.addHook('onRequest', (request, reply, next) => {
    const pending = new PendingReply(registration, request, reply, next);
    (request as unknown as Slots)[pendingKey] = pending;
    handler.beginThen(pending, pending);
  });
  fastify.addHook('onError', (request, _reply, _error, next) => {
    const pending = (request as unknown as Slots)[pendingKey] as PendingReply | null;
    if (pending) pending.failed = true;
    next();
  });
  fastify.addHook('onSend', (request, _reply, payload, next) => onSend(registration, request, payload, next));
}

/**
 * Sessions for Fastify 5: `app.register(fastifySession, { cache, dataProtection, … })`. Each request in the
 * registering scope (and its children) has `request.session`; routes outside it have none. The session is
 * loaded in onRequest and saved in onSend, before the reply is sent, so a redirect right after a change
 * never races the save; a save that fails replaces the reply with Fastify's error reply (500). A route
 * that fails still saves what it changed, and its error reply carries a new session's cookie.
 */
export const fastifySession = fastifyPlugin(sessionPlugin, {
  fastify: '5.x',
  name: '@sharedstate/session-fastify',
}) as FastifyPluginCallback<FastifySessionPluginOptions>;

/** The session of a request, typed with the app's own session data (or any other type given). */
export function getSession<TData extends object = SessionData>(request: object): Session<TData> {
  return sessionIn<TData>(
    request,
    'No session on this request: is @sharedstate/session-fastify registered in this route’s scope?',
  );
}
