/**
 * .NET's BinaryWriter and BinaryReader as the ticket formats use them: Int32 little-endian, Boolean as one
 * byte, String as its UTF-8 byte length in 7-bit groups (low group first, high bit set on all but the last)
 * followed by the bytes.
 */
export class DotnetBinaryWriter {
  readonly #chunks: Buffer[] = [];

  int32(value: number): void {
    const bytes = Buffer.allocUnsafe(4);
    bytes.writeInt32LE(value);
    this.#chunks.push(bytes);
  }

  boolean(value: boolean): void {
    this.#chunks.push(Buffer.of(value ? 1 : 0));
  }

  /** Bytes as they are (a fixed-size field: a token, a hash). */
  raw(bytes: Uint8Array): void {
    this.#chunks.push(Buffer.from(bytes));
  }

  string(value: string): void {
    const text = Buffer.from(value, 'utf8');
    const prefix: number[] = [];
    let length = text.length;
    while (length >= 0x80) {
      prefix.push((length & 0x7f) | 0x80);
      length >>>= 7;
    }
    prefix.push(length);
    this.#chunks.push(Buffer.from(prefix), text);
  }

  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.#chunks));
  }
}

/** Thrown by DotnetBinaryReader when the bytes end early or hold what the format cannot. */
export class MalformedBinaryError extends Error {}

export class DotnetBinaryReader {
  readonly #bytes: Buffer;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet: a count that claims more items than this cannot be honest. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  int32(): number {
    this.#need(4);
    const value = this.#bytes.readInt32LE(this.#offset);
    this.#offset += 4;
    return value;
  }

  boolean(): boolean {
    this.#need(1);
    const value = this.#bytes[this.#offset++];
    if (value !== 0 && value !== 1) throw new MalformedBinaryError(`a Boolean byte of ${value}`);
    return value === 1;
  }

  /** One byte as a number (a flag read as any non-zero byte, as the antiforgery format reads it). */
  byte(): number {
    this.#need(1);
    return this.#bytes[this.#offset++]!;
  }

  /** `count` bytes as they are. */
  raw(count: number): Uint8Array {
    this.#need(count);
    const bytes = new Uint8Array(this.#bytes.subarray(this.#offset, this.#offset + count));
    this.#offset += count;
    return bytes;
  }

  string(): string {
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      // An Int32 takes at most five groups.
      if (shift > 28) throw new MalformedBinaryError('a string length of more than five 7-bit groups');
      this.#need(1);
      const group = this.#bytes[this.#offset++]!;
      length += (group & 0x7f) * 2 ** shift;
      if ((group & 0x80) === 0) break;
    }
    if (length > 0x7fffffff) throw new MalformedBinaryError('a string length past Int32');
    this.#need(length);
    // Bytes that are not UTF-8 read as U+FFFD, as .NET's reader reads them.
    const text = this.#bytes.toString('utf8', this.#offset, this.#offset + length);
    this.#offset += length;
    return text;
  }

  #need(count: number): void {
    if (this.remaining < count) throw new MalformedBinaryError('the bytes end early');
  }
}
