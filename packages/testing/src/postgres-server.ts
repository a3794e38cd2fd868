import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable } from './executable.ts';
import { freePort } from './free-port.ts';
import { ManagedProcess } from './managed-process.ts';
import { ServiceUnavailableError } from './service-unavailable.ts';
import { waitUntil } from './wait-until.ts';

const run = promisify(execFile);
/** The server programs the tests run. */
const PROGRAMS = ['initdb', 'postgres', 'pg_isready', 'psql'];
const POSTGRES_HINT = 'install PostgreSQL (apt-get install -y postgresql): the tests run initdb and postgres';

/**
 * The folder of PostgreSQL's server programs (initdb, postgres, pg_isready): on PATH, or where Debian's
 * postgresql package puts them (/usr/lib/postgresql/<version>/bin, newest first), which is not on PATH.
 */
function serverBinaries(): string | undefined {
  const onPath = findExecutable('initdb');
  if (onPath !== undefined) {
    // PATH may hold a link to initdb alone (/usr/local/bin); its siblings are where the link points.
    const dir = dirname(realpathSync(onPath));
    if (PROGRAMS.every((program) => existsSync(join(dir, program)))) return dir;
  }
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return undefined;
  const versions = readdirSync(debian)
    .filter((version) => PROGRAMS.every((program) => existsSync(join(debian, version, 'bin', program))))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(debian, versions[0], 'bin');
}

export function postgresAvailability(): string | undefined {
  return serverBinaries() === undefined ? `PostgreSQL is not available: ${POSTGRES_HINT}` : undefined;
}

/** The user the server runs as: the caller, or the `postgres` account when the caller is root. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  } catch {
    throw new ServiceUnavailableError(
      'PostgreSQL refuses to run as root and there is no `postgres` account to run it as: install postgresql',
    );
  }
}

/**
 * A PostgreSQL server of its own for tests: initdb into a temporary folder, then `postgres` on a free
 * loopback port, stopped by PID. Trust authentication, user `postgres`, database `postgres`.
 */
export class LocalPostgresServer {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  readonly #bin: string;
  readonly #user: { uid: number; gid: number } | undefined;
  #process: ManagedProcess | undefined;

  private constructor(bin: string, port: number, user: { uid: number; gid: number } | undefined) {
    this.#bin = bin;
    this.port = port;
    this.#user = user;
    this.dir = mkdtempSync(join(tmpdir(), `sharedstate-postgres-${port}-`));
    if (user) chownSync(this.dir, user.uid, user.gid);
  }

  static async start(): Promise<LocalPostgresServer> {
    const bin = serverBinaries();
    if (bin === undefined) throw new ServiceUnavailableError(`PostgreSQL is not available: ${POSTGRES_HINT}`);
    const user = await serverUser();
    let lastError: unknown;
    // A free port can be taken between probing and binding; try a few.
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new LocalPostgresServer(bin, await freePort(), user);
      try {
        await server.#initdb();
        await server.#launch();
        return server;
      } catch (error) {
        lastError = error;
        await server.stop();
      }
    }
    throw lastError;
  }

  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  get url(): string {
    return `postgres://postgres@${this.host}:${this.port}/postgres`;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  get #data(): string {
    return join(this.dir, 'data');
  }

  async #initdb(): Promise<void> {
    const initdb = new ManagedProcess(
      join(this.#bin, 'initdb'),
      ['-D', this.#data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { description: 'initdb', ...(this.#user ? { user: this.#user } : {}) },
    );
    const code = await initdb.exited;
    if (code !== 0) throw new Error(`initdb failed (${code}): ${initdb.output.trim()}`);
  }

  async #launch(): Promise<void> {
    const child = new ManagedProcess(
      join(this.#bin, 'postgres'),
      [
        '-D',
        this.#data,
        '-p',
        String(this.port),
        '-h',
        this.host,
        '-k',
        this.dir,
        // Committed data survives a crash of the server (tests kill it), not of the machine: no fsync.
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ],
      { description: `postgres on port ${this.port}`, ...(this.#user ? { user: this.#user } : {}) },
    );
    this.#process = child;
    await waitUntil(
      async () => {
        if (child.hasExited) throw new Error(`postgres exited: ${child.output.trim()}`);
        await run(join(this.#bin, 'pg_isready'), ['-q', '-h', this.host, '-p', String(this.port)]);
        return true;
      },
      `postgres on port ${this.port} to accept connections`,
      { timeoutMs: 30_000 },
    );
  }

  /** Runs SQL with psql, outside any client under test; resolves with psql's unaligned, tuples-only output. */
  async psql(sql: string): Promise<string> {
    const { stdout } = await run(join(this.#bin, 'psql'), [
      '-X',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      this.host,
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-c',
      sql,
    ]);
    return stdout.trim();
  }

  /**
   * Kills the server as a crash of its machine would: the postmaster and every backend at once (SIGKILL),
   * so that nothing holds its shared memory when it starts again.
   */
  async kill(): Promise<void> {
    const pid = this.#process?.pid;
    if (pid !== undefined && this.#process?.hasExited === false) {
      // Stopped first, the postmaster forks no backend (a client reconnecting) between the listing of its
      // children and its death: such a backend, orphaned, held the shared memory and the restart failed.
      killQuietly(pid, 'SIGSTOP');
      const children = childProcesses(pid);
      for (const child of children) killQuietly(child);
      await this.#process?.kill('SIGKILL');
      await waitUntil(async () => children.every((child) => !isRunning(child)), 'the backends to exit', {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      return;
    }
    await this.#process?.kill('SIGKILL');
  }

  /** Starts the server again on the same port and data folder (after kill() or stopServer()). */
  async restart(): Promise<void> {
    await this.kill();
    await waitUntil(
      async () => {
        try {
          await this.#launch();
          return true;
        } catch (error) {
          await this.#process?.kill('SIGKILL');
          throw error;
        }
      },
      `postgres on port ${this.port} to start again`,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
  }

  /** Shuts the server down (fast shutdown: open sessions are ended) and keeps the data for restart(). */
  async stopServer(): Promise<void> {
    await this.#process?.kill('SIGINT');
  }

  async stop(): Promise<void> {
    await this.stopServer();
    this.#process = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The ids of a process's children (Linux: from /proc). */
function childProcesses(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The stat line is "pid (comm) state ppid ...", and comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // the process ended while the list was read
    }
  }
  return children;
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Whether a process still runs (a zombie, which holds no memory, counts as gone). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function startPostgres(): Promise<LocalPostgresServer> {
  return LocalPostgresServer.start();
}
