/**
 * The call's result, or a rejection once `timeoutMs` has passed without one (the call itself is not
 * stopped). For the few, infrequent operations a timer each is fine for: key ring reads and writes.
 */
export async function boundedCall<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${timeoutMs} ms (operationTimeout)`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([call(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
