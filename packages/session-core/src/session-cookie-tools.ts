import {
  type DataProtectionProvider,
  RepositoryUnavailableError,
} from '@sharedstate/dataprotection-abstractions';
import { SessionUsageError } from './session-errors.ts';
import {
  cookieValueOf,
  SESSION_KEY,
  SESSION_PURPOSE,
  unprotectSessionKey,
} from './session-key-protection.ts';

/**
 * The cookie value a session middleware sets for a session key, made outside any request: sharedstate's
 * and ASP.NET Core's session middleware (with the same key ring and application name) both accept it. For
 * tools, tests and migrations that open or hand over a user's session.
 */
export async function protectSessionCookie(
  dataProtection: DataProtectionProvider,
  sessionKey: string,
): Promise<string> {
  if (typeof sessionKey !== 'string' || !SESSION_KEY.test(sessionKey)) {
    throw new SessionUsageError(
      `A session key is a lowercase GUID such as '3f2504e0-4f89-41d3-9a0c-0305e82c3301'; got ${JSON.stringify(sessionKey)}.`,
    );
  }
  const protector = dataProtection.createProtector(SESSION_PURPOSE);
  return cookieValueOf(await protector.protect(Buffer.from(sessionKey, 'utf8')));
}

/**
 * The session key in a session cookie's value (as the browser sent it, percent-encoded or not), or
 * undefined when the value is not one the key ring can unprotect: tampered, foreign, or protected with a
 * key that is revoked or not in the ring. Only a key ring that cannot be read rejects
 * (`RepositoryUnavailableError`), since the answer is then unknown.
 */
export async function unprotectSessionCookie(
  dataProtection: DataProtectionProvider,
  cookieValue: string,
): Promise<string | undefined> {
  if (typeof cookieValue !== 'string') return undefined;
  try {
    return await unprotectSessionKey(dataProtection.createProtector(SESSION_PURPOSE), cookieValue);
  } catch (error) {
    if (error instanceof RepositoryUnavailableError) throw error;
    return undefined;
  }
}
