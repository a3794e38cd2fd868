import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * On a small machine the server and the benchmark otherwise fight for the same cores, which makes the
 * numbers swing from run to run. Pinning redis-server to the last core and this process to the others
 * models a server on its own CPU, as in production. Skipped where taskset is missing or there is one core.
 */
export function pinServerAwayFromClient(serverPid: number | undefined): void {
  const cores = availableParallelism();
  if (serverPid === undefined || cores < 2) return;
  try {
    execFileSync('taskset', ['-p', '-c', String(cores - 1), String(serverPid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-p', '-c', `0-${cores - 2}`, String(process.pid)], { stdio: 'ignore' });
  } catch {
    // no taskset: run unpinned
  }
}
