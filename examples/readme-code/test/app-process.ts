import { freePort, ManagedProcess, waitUntil } from '@sharedstate/testing';

/**
 * Starts an app (`node <args>` in `cwd`) with PORT set to a free port, and resolves with its URL once
 * `readyPath` answers 200. An app that crashes first (a package that cannot load) fails the caller at once,
 * with its output; its exit later, when the suite stops it, is no failure. The process goes into `started`,
 * for the suite to stop.
 */
export async function startApp(
  started: ManagedProcess[],
  description: string,
  cwd: string,
  args: string[],
  env: Record<string, string>,
  readyPath = '',
): Promise<string> {
  const port = await freePort();
  const child = new ManagedProcess(process.execPath, args, {
    description,
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
  });
  started.push(child);
  const url = `http://127.0.0.1:${port}/`;
  const crashed = child.exited.then((code) => {
    throw new Error(`${description} exited with ${code}:\n${child.output}`);
  });
  crashed.catch(() => {});
  await Promise.race([
    waitUntil(async () => (await fetch(url + readyPath)).ok, `${description} to answer`, {
      timeoutMs: 30_000,
    }),
    crashed,
  ]);
  return url;
}
