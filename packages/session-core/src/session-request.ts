/** What an adapter tells the handler about the request. */
export interface SessionRequest {
  /** The raw Cookie header. */
  readonly cookieHeader: string | undefined;
  /**
   * Whether the request arrived over HTTPS, as the framework reports it (honouring its trust-proxy setting).
   * Read only when a cookie is written, so an adapter may make it a getter.
   */
  readonly secure: boolean;
  /** Whether the response headers were already sent. */
  responseStarted(): boolean;
  /**
   * Whether the response was ended (its last byte handed to the framework). Once it is, and the request's end
   * has saved the session, a change to the session is refused (it could no longer be saved). Optional: an
   * adapter that cannot tell (a streamed body goes on after the middleware returns) leaves it out, and a
   * change there is kept only if the app calls `session.commit()`.
   */
  responseFinished?(): boolean;
  /**
   * The scheme a proxy in front of the app reports (`X-Forwarded-Proto`, see `forwardedProto`), whether or
   * not the framework trusts it. Optional; read only when a cookie goes out without Secure under
   * `secure: 'auto'`, to warn that a proxy terminates HTTPS the framework was not told to trust.
   */
  readonly forwardedProto?: string | undefined;
}

/**
 * The scheme in an `X-Forwarded-Proto` header: its first value (a chain of proxies appends theirs), trimmed
 * and lower-cased; undefined when the header is absent or empty.
 */
export function forwardedProto(header: string | string[] | undefined): string | undefined {
  const first = Array.isArray(header) ? header[0] : header;
  const scheme = first?.split(',', 1)[0]?.trim().toLowerCase();
  return scheme ? scheme : undefined;
}

/** Headers an adapter adds to the response: set when the session cookie is written or deleted. */
export interface SessionResponseHeaders {
  setCookie: string | undefined;
  /** ASP.NET Core marks responses that set the session cookie as not cacheable. */
  cacheControl: Readonly<Record<string, string>>;
}
