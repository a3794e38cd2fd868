import { fastifyLoggerOf } from '@sharedstate/shared-helpers';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { attachRequestAuthentication } from './adapter-support.ts';
import { CookieAuthenticationConfigurationError } from './authentication-errors.ts';
import type { ClaimsPrincipal } from './claims-principal.ts';
import { CookieAuthentication } from './cookie-authentication.ts';
import type { CookieAuthenticationOptions } from './cookie-authentication-options.ts';
import {
  type AuthenticationResponse,
  RequestAuthentication,
  replacedSetCookies,
} from './request-authentication.ts';

export interface FastifyAuthenticationPluginOptions extends CookieAuthenticationOptions {
  /** The request property the signed-in user goes in (@fastify/passport's). Default 'user'. */
  userProperty?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The cookie authentication this instance registered (`fastifyCookieAuthentication`). */
    cookieAuthentication: CookieAuthentication;
  }
}

/** The authentication's writes on Fastify's reply, which holds the headers until it sends. */
function replyResponse(reply: FastifyReply): AuthenticationResponse {
  return {
    replaceSetCookies: (previous, next) => {
      const existing = reply.getHeader('set-cookie') as string | string[] | undefined;
      reply.removeHeader('set-cookie');
      const values = replacedSetCookies(existing, previous, next);
      if (values.length > 0) reply.header('set-cookie', values);
    },
    setHeader: (name, value) => {
      reply.header(name, value);
    },
  };
}

// Fastify's registration options, which are not the authentication's.
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'];

function authenticationPlugin(
  fastify: FastifyInstance,
  options: FastifyAuthenticationPluginOptions,
  done: (error?: Error) => void,
): void {
  let authentication: CookieAuthentication;
  let userProperty: string;
  try {
    const { userProperty: given = 'user', ...rest } = options;
    const authenticationOptions = { ...rest } as Record<string, unknown>;
    for (const name of REGISTER_OPTIONS) delete authenticationOptions[name];
    if (typeof given !== 'string' || given === '') {
      throw new CookieAuthenticationConfigurationError(
        `userProperty must be a non-empty string; got ${String(given)}.`,
      );
    }
    userProperty = given;
    if (authenticationOptions.logger === undefined)
      authenticationOptions.logger = fastifyLoggerOf(fastify.log);
    authentication = new CookieAuthentication(
      authenticationOptions as unknown as CookieAuthenticationOptions,
    );
  } catch (error) {
    done(error as Error);
    return;
  }
  // null until onRequest: Fastify keeps one shape for its requests. @fastify/passport may have it already.
  if (!fastify.hasRequestDecorator(userProperty)) fastify.decorateRequest(userProperty, null);
  fastify.decorate('cookieAuthentication', authentication);
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const state = new RequestAuthentication(
      authentication,
      // request.protocol honours Fastify's trustProxy (X-Forwarded-Proto behind a load balancer).
      { cookieHeader: request.headers.cookie, secure: request.protocol === 'https' },
      replyResponse(reply),
      (user: ClaimsPrincipal | undefined) => {
        (request as unknown as Record<string, unknown>)[userProperty] = user ?? null;
      },
    );
    attachRequestAuthentication(request, state);
    await state.load();
  });
  done();
}

/**
 * ASP.NET Core's authentication cookie for Fastify 5: `app.register(fastifyCookieAuthentication, {
 * dataProtection })`. Each request in the registering scope has `request.user`, the signed-in
 * ClaimsPrincipal (null when not signed in); `signIn(request, …)` and `signOut(request)` write the cookie.
 * A cookie due for sliding renewal is re-issued. When the key ring cannot be read the request fails with a
 * 503, neither signed in nor out.
 */
export const fastifyCookieAuthentication = fastifyPlugin(authenticationPlugin, {
  fastify: '5.x',
  name: '@sharedstate/authentication-cookies',
}) as FastifyPluginCallback<FastifyAuthenticationPluginOptions>;

// Everything of the main entry (signIn, signOut, getUser, ClaimTypes, …) from this one import too.
export * from './index.ts';
