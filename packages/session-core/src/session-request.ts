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
}

/** Headers an adapter adds to the response: set when the session cookie is written or deleted. */
export interface SessionResponseHeaders {
  setCookie: string | undefined;
  /** ASP.NET Core marks responses that set the session cookie as not cacheable. */
  cacheControl: Readonly<Record<string, string>>;
}
