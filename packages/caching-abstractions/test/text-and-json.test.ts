import {
  CacheValueFormatError,
  getJson,
  getString,
  MemoryDistributedCache,
  setJson,
  setString,
} from '@sharedstate/caching-abstractions';

describe('string and JSON values', () => {
  const cache = new MemoryDistributedCache();
  afterAll(() => cache.dispose());

  test('a string is stored as UTF-8 bytes', async () => {
    await setString(cache, 's', 'grüße 🌍');
    expect(Buffer.from((await cache.get('s'))!).toString('hex')).toBe(
      Buffer.from('grüße 🌍', 'utf8').toString('hex'),
    );
    expect(await getString(cache, 's')).toBe('grüße 🌍');
  });

  test('a string that starts with a byte order mark comes back whole', async () => {
    await setString(cache, 'bom', '\uFEFFtext');
    expect(Buffer.from((await cache.get('bom'))!).toString('hex')).toBe('efbbbf74657874');
    expect(await getString(cache, 'bom')).toBe('\uFEFFtext');
  });

  test('a JSON value round-trips with its type', async () => {
    interface Cart {
      items: { sku: string; qty: number }[];
    }
    await setJson<Cart>(cache, 'cart', { items: [{ sku: 'a1', qty: 2 }] });
    const cart = await getJson<Cart>(cache, 'cart');
    expect(cart?.items[0]?.qty).toBe(2);
  });

  test('missing keys read as undefined', async () => {
    expect(await getString(cache, 'none')).toBeUndefined();
    expect(await getJson(cache, 'none')).toBeUndefined();
  });

  test('bytes that are not UTF-8 or not JSON give a typed error', async () => {
    await cache.set('bin', Uint8Array.of(0xff, 0xfe));
    await expect(getString(cache, 'bin')).rejects.toThrow(CacheValueFormatError);
    await setString(cache, 'text', 'not json');
    await expect(getJson(cache, 'text')).rejects.toThrow(/not valid JSON/);
  });

  test('a value JSON cannot represent is refused', async () => {
    await expect(setJson(cache, 'fn', () => 1)).rejects.toThrow(CacheValueFormatError);
  });
});
