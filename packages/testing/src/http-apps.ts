import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cookieOf } from './session-adapter-checks.ts';

/** An app that listens as Express's and Koa's do. */
export interface ListeningApp {
  listen(port: number, host: string, callback: () => void): Server;
}

/**
 * Apps started on free loopback ports for one suite, closed after it with whatever each was given to close
 * (its Redis client, say). Call in a describe block.
 */
export function httpApps(): { start(app: ListeningApp, close?: () => Promise<unknown>): Promise<string> } {
  const running: { server: Server; close: (() => Promise<unknown>) | undefined }[] = [];
  afterAll(async () => {
    await Promise.all(
      running.map(async ({ server, close }) => {
        await new Promise((resolve) => server.close(resolve));
        await close?.();
      }),
    );
  });
  return {
    start: (app, close) =>
      new Promise((resolve) => {
        const server = app.listen(0, '127.0.0.1', () => {
          running.push({ server, close });
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
        });
      }),
  };
}

/** A client with one cookie jar, as a browser has: it sends back the last session cookie it was given. */
export class CookieJarClient {
  cookie: string | undefined;
  /** The whole Set-Cookie header last received (with its attributes). */
  lastSetCookie: string | undefined;

  /** One request, redirects not followed; `form` is sent url-encoded. */
  async send(url: string, method = 'GET', form?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = this.cookie ? { cookie: this.cookie } : {};
    const init: RequestInit = { method, redirect: 'manual', headers };
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(form).toString();
    }
    const response = await fetch(url, init);
    const set = response.headers.get('set-cookie');
    if (set) {
      this.lastSetCookie = set;
      this.cookie = cookieOf(response);
    }
    return response;
  }

  /** A GET answered with JSON. */
  async json(url: string): Promise<Record<string, unknown>> {
    return (await this.send(url)).json() as Promise<Record<string, unknown>>;
  }
}
