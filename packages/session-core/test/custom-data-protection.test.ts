// session-core takes any provider of @sharedstate/dataprotection-abstractions, not only dataprotection-core's:
// here, one over AES-256-GCM with a key derived (HKDF) from a secret and the purpose chain.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import {
  type DangerousUnprotectResult,
  type DataProtectionProvider,
  type DataProtector,
  PayloadInvalidError,
  type TimeLimitedDataProtector,
} from '@sharedstate/dataprotection-abstractions';
import { cookieFrom, request } from './fixtures.ts';
import { SessionHandler } from './session-handler-for-tests.ts';

class GcmProtector implements DataProtector {
  readonly purposes: readonly string[];
  readonly #secret: Buffer;
  readonly #key: Buffer;

  constructor(secret: Buffer, purposes: readonly string[]) {
    this.#secret = secret;
    this.purposes = purposes;
    this.#key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), purposes.join('\0'), 32));
  }

  createProtector(purpose: string, ...subPurposes: string[]): DataProtector {
    return new GcmProtector(this.#secret, [...this.purposes, purpose, ...subPurposes]);
  }

  protectSync(plaintext: Uint8Array): Uint8Array {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([nonce, cipher.getAuthTag(), body]);
  }

  protect(plaintext: Uint8Array): Promise<Uint8Array>;
  protect(plaintext: string): Promise<string>;
  async protect(plaintext: Uint8Array | string): Promise<Uint8Array | string> {
    if (typeof plaintext !== 'string') return this.protectSync(plaintext);
    return Buffer.from(this.protectSync(Buffer.from(plaintext))).toString('base64url');
  }

  unprotect(payload: Uint8Array): Promise<Uint8Array>;
  unprotect(payload: string): Promise<string>;
  async unprotect(payload: Uint8Array | string): Promise<Uint8Array | string> {
    if (typeof payload === 'string')
      return Buffer.from(this.#open(Buffer.from(payload, 'base64url'))).toString();
    return this.#open(Buffer.from(payload));
  }

  async dangerousUnprotect(payload: Uint8Array): Promise<DangerousUnprotectResult> {
    return { plaintext: this.#open(Buffer.from(payload)), requiresMigration: false, wasRevoked: false };
  }

  toTimeLimited(): TimeLimitedDataProtector {
    throw new Error('This provider has no time-limited protectors.');
  }

  #open(payload: Buffer): Uint8Array {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, payload.subarray(0, 12));
      decipher.setAuthTag(payload.subarray(12, 28));
      return Buffer.concat([decipher.update(payload.subarray(28)), decipher.final()]);
    } catch (error) {
      throw new PayloadInvalidError('The payload is invalid.', { cause: error });
    }
  }
}

class GcmProvider implements DataProtectionProvider {
  readonly applicationName = 'custom';
  readonly #secret = randomBytes(32);

  createProtector(purpose: string, ...subPurposes: string[]): DataProtector {
    return new GcmProtector(this.#secret, [this.applicationName, purpose, ...subPurposes]);
  }

  async initialize(): Promise<void> {}
}

test('a session protected by a provider that is not dataprotection-core is written, read back, and refused when tampered', async () => {
  const handler = new SessionHandler({
    cache: new MemoryDistributedCache(),
    dataProtection: new GcmProvider(),
  });
  const first = await handler.begin(request());
  first.setString('user', 'ada');
  await handler.end(first);
  const setCookie = handler.responseHeaders(first).setCookie;
  const cookie = cookieFrom(setCookie);

  const again = await handler.begin(request(cookie));
  expect(again.isNew).toBe(false);
  expect(again.getString('user')).toBe('ada');
  await handler.end(again);

  const value = cookie.slice(cookie.indexOf('=') + 1);
  const flipped = `${value.slice(0, -2)}${value.at(-2) === 'A' ? 'B' : 'A'}${value.at(-1)}`;
  const tampered = await handler.begin(request(`${cookie.slice(0, cookie.indexOf('='))}=${flipped}`));
  expect(tampered.isNew).toBe(true);
  expect(tampered.getString('user')).toBeUndefined();
  await handler.end(tampered);
});
