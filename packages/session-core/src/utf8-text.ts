/**
 * Reads bytes as ASP.NET Core's Encoding.UTF8.GetString does: invalid sequences become U+FFFD and a leading
 * byte order mark stays in the text (a default TextDecoder would drop it). Session keys and string values
 * are both read this way.
 */
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Runs up to this many bytes are read byte by byte while they are ASCII. */
const SHORT_RUN = 32;

/**
 * The text of `bytes[start..end)`. A short ASCII run (most keys, and small values such as numbers and ids)
 * is built from its bytes, cheaper than a subarray and a TextDecoder call; this runs for every key of every
 * session read and every string value the app reads.
 */
export function readUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end - start <= SHORT_RUN) {
    let text = '';
    let i = start;
    for (; i < end; i++) {
      const byte = bytes[i]!;
      if (byte > 0x7f) break;
      text += String.fromCharCode(byte);
    }
    if (i === end) return text;
  }
  return decoder.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
}
