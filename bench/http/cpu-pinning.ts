import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Where each process of the HTTP benchmark runs. On a machine of a few cores the server under test, the
 * store and the load generator otherwise take turns on the same cores, so a variant's throughput depends on
 * how the scheduler shares them in that second as much as on the variant (rows moved by up to a third from
 * run to run on 2 cores). Pinned, the server has the last core to itself and the rest run elsewhere: its
 * throughput is what its own CPU per request allows. BENCH_PIN=0 leaves placement to the scheduler.
 */
export interface CpuPinning {
  /** The command to start the server with: `taskset -c <core>`, or nothing when not pinning. */
  readonly serverPrefix: readonly string[];
  /** Moves a running process (all its threads, and children it starts later) off the server's core. */
  elsewhere(pid: number): void;
  /** How the run was placed, for the report. */
  readonly description: string;
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function cpuPinning(): CpuPinning {
  const cores = availableParallelism();
  if (process.env.BENCH_PIN === '0' || cores < 2 || !hasTaskset()) {
    return {
      serverPrefix: [],
      elsewhere: () => {},
      description: 'processes placed by the scheduler',
    };
  }
  const serverCore = String(cores - 1);
  const others = cores === 2 ? '0' : `0-${cores - 2}`;
  return {
    serverPrefix: ['taskset', '-c', serverCore],
    elsewhere: (pid) => execFileSync('taskset', ['-a', '-p', '-c', others, String(pid)], { stdio: 'ignore' }),
    description: `server pinned to core ${serverCore}; the store and the load generator on core ${others}`,
  };
}
