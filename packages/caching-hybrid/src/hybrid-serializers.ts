/** Turns values of one type into the bytes of an L2 entry and back (IHybridCacheSerializer<T>). */
export interface HybridCacheSerializer<T> {
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

/** How JSON property names are written: as the app's objects have them, or as .NET's System.Text.Json writes C# properties. */
export type JsonPropertyNaming = 'asIs' | 'pascalCase';

/** Strings as UTF-8, as .NET's inbuilt serializer writes a string. */
export const stringSerializer: HybridCacheSerializer<string> = {
  serialize: (value) => new Uint8Array(Buffer.from(value, 'utf8')),
  deserialize: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
};

/** Bytes as they are, as .NET's inbuilt serializer writes a byte[]. */
export const bytesSerializer: HybridCacheSerializer<Uint8Array> = {
  serialize: (value) => new Uint8Array(value),
  deserialize: (bytes) => new Uint8Array(bytes),
};

/**
 * JSON in UTF-8, as .NET's default serializer (System.Text.Json) writes other types. With 'pascalCase'
 * the first letter of each property name is upper-case in the bytes and lower-case in the value, so that
 * `{ orderId: 42 }` here and `new Order { OrderId = 42 }` in .NET are one entry.
 */
export function jsonSerializer<T>(naming: JsonPropertyNaming = 'asIs'): HybridCacheSerializer<T> {
  if (naming === 'asIs') {
    return {
      serialize: (value) => new Uint8Array(Buffer.from(JSON.stringify(value) ?? 'null', 'utf8')),
      deserialize: (bytes) =>
        JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as T,
    };
  }
  return {
    serialize: (value) =>
      new Uint8Array(Buffer.from(JSON.stringify(renameKeys(value, toPascal)) ?? 'null', 'utf8')),
    deserialize: (bytes) =>
      renameKeys(
        JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')),
        toCamel,
      ) as T,
  };
}

const toPascal = (name: string) => (name === '' ? name : name[0]!.toUpperCase() + name.slice(1));
const toCamel = (name: string) => (name === '' ? name : name[0]!.toLowerCase() + name.slice(1));

/** A copy of plain JSON data with every object's property names renamed (arrays and values kept). */
function renameKeys(value: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => renameKeys(item, rename));
  if (value === null || typeof value !== 'object') return value;
  // toJSON (Dates, the app's own) first, as JSON.stringify would.
  const plain =
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
      ? (value as { toJSON(): unknown }).toJSON()
      : value;
  if (plain === null || typeof plain !== 'object') return plain;
  const renamed: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(plain)) renamed[rename(name)] = renameKeys(item, rename);
  return renamed;
}
