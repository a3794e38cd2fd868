import { Buffer } from 'node:buffer';

// A Redis command as the bytes of a RESP request: `*<count>\r\n`, then `$<length>\r\n<bytes>\r\n` for the
// name and each argument. ioredis's own Command.toWritable makes the same bytes by joining many small
// strings, and reads Node's global `Buffer` (an accessor, slow to reach) for each argument, a large share of
// a session write's CPU; this writes each command straight into one Buffer, in two passes over its arguments
// (the first measures, the second writes).

const CR = 13;
const LF = 10;

function decimalDigits(value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}

/** Writes a non-negative integer in decimal at `offset`; returns the offset after it. */
function writeDecimal(out: Buffer, offset: number, value: number): number {
  const end = offset + decimalDigits(value);
  let rest = value;
  for (let at = end - 1; at >= offset; at--) {
    out[at] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return end;
}

/** Writes `text` (of `length` UTF-8 bytes) at `offset`; returns the offset after it. */
function writeText(out: Buffer, offset: number, text: string, length: number): number {
  // One native call whatever the length: a JavaScript loop over the characters costs more past a few.
  out.write(text, offset, length, 'utf8');
  return offset + length;
}

/** A bulk string's header, `$<length>\r\n`, at `offset`; returns the offset after it. */
function writeBulkHeader(out: Buffer, offset: number, length: number): number {
  out[offset] = 36; // '$'
  const end = writeDecimal(out, offset + 1, length);
  out[end] = CR;
  out[end + 1] = LF;
  return end + 2;
}

/** An argument as RESP carries it: bytes as they are, anything else as its text (nothing for null, as ioredis). */
function asArgument(argument: unknown): string | Uint8Array {
  if (typeof argument === 'string' || argument instanceof Uint8Array) return argument;
  return argument === null || argument === undefined ? '' : String(argument);
}

/**
 * Each argument's byte length, from encodeCommand's sizing pass to its writing pass: measured once, in an
 * array kept between calls (commands are encoded one at a time, synchronously).
 */
const lengths: number[] = [];

/** The RESP request for command `name` with `args` (strings and Buffers; other values as their text). */
export function encodeCommand(name: string, args: readonly unknown[]): Buffer {
  const nameLength = Buffer.byteLength(name, 'utf8');
  let size = 1 + decimalDigits(args.length + 1) + 2 + 1 + decimalDigits(nameLength) + 2 + nameLength + 2;
  for (let i = 0; i < args.length; i++) {
    const argument = asArgument(args[i]);
    const length = typeof argument === 'string' ? Buffer.byteLength(argument, 'utf8') : argument.length;
    lengths[i] = length;
    size += 1 + decimalDigits(length) + 2 + length + 2;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = 42; // '*'
  let offset = writeDecimal(out, 1, args.length + 1);
  out[offset++] = CR;
  out[offset++] = LF;
  offset = writeBulkHeader(out, offset, nameLength);
  offset = writeText(out, offset, name, nameLength);
  out[offset++] = CR;
  out[offset++] = LF;
  for (let i = 0; i < args.length; i++) {
    const argument = asArgument(args[i]);
    const length = lengths[i]!;
    offset = writeBulkHeader(out, offset, length);
    if (typeof argument === 'string') {
      offset = writeText(out, offset, argument, length);
    } else {
      out.set(argument, offset);
      offset += length;
    }
    out[offset++] = CR;
    out[offset++] = LF;
  }
  return out;
}
