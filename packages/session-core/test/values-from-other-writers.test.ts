import { SessionConfigurationError, SessionValueFormatError } from '@sharedstate/session-core';
import { cookieFrom, request, setup } from './fixtures.ts';
import { SessionHandler } from './session-handler-for-tests.ts';

describe('a value another writer stored', () => {
  test('getJson of a value that is not JSON throws a typed error naming the key, instead of undefined', async () => {
    const { handler } = await setup();
    const first = await handler.begin(request());
    // ASP.NET Core's SetInt32 stores four big-endian bytes: not JSON.
    first.setInt32('count', 7);
    await handler.end(first);
    const headers = handler.responseHeaders(first);
    const next = await handler.begin(request(cookieFrom(headers.setCookie)));
    expect(() => next.getJson('count')).toThrow(SessionValueFormatError);
    expect(() => next.getJson('count')).toThrow(/'count' is not JSON/);
    expect(next.getInt32('count')).toBe(7);
  });
});

describe('a misconfigured dataProtection', () => {
  test('a protector passed in the provider’s place is refused when the middleware is made', async () => {
    const { cache, dataProtection } = await setup();
    const protector = dataProtection.createProtector('x');
    const make = () =>
      new SessionHandler({ cache, dataProtection: protector } as unknown as ConstructorParameters<
        typeof SessionHandler
      >[0]);
    expect(make).toThrow(SessionConfigurationError);
    expect(make).toThrow(/got a protector.*pass the provider itself/);
  });
});
