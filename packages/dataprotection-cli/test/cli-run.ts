import { runKeysCli } from '@sharedstate/dataprotection-cli';

/** One in-process run of sharedstate-keys: its exit code and what it wrote. */
export async function keys(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runKeysCli(
    argv,
    {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
    },
    {},
  );
  return { code, out, err };
}

/** The same, with --json, parsed; fails the test with what it printed when the run did not succeed. */
export async function keysJson<T>(...argv: string[]): Promise<T> {
  const { code, out, err } = await keys(...argv, '--json');
  if (code !== 0) throw new Error(`sharedstate-keys ${argv.join(' ')} exited with ${code}: ${err}`);
  return JSON.parse(out) as T;
}
