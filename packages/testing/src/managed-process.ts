import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

const running = new Set<ManagedProcess>();

// A test file that throws before its afterAll must still not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.killNow();
});

/** A server process a test started: its output is kept for error messages, and it is always stopped. */
export class ManagedProcess {
  readonly #child: ChildProcess;
  readonly #description: string;
  #output = '';
  readonly #exited: Promise<number | null>;
  readonly #cleanupDirs: string[];

  constructor(
    command: string,
    args: string[],
    options: {
      description: string;
      cwd?: string;
      cleanupDirs?: string[];
      env?: NodeJS.ProcessEnv;
      /** Run as this user (PostgreSQL refuses to run as root). */
      user?: { uid: number; gid: number };
    },
  ) {
    this.#description = options.description;
    this.#cleanupDirs = options.cleanupDirs ?? [];
    this.#child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...options.user,
    });
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-8_000);
    };
    this.#child.stdout?.on('data', keep);
    this.#child.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code) => {
        running.delete(this);
        resolve(code);
      });
      this.#child.once('error', (error) => {
        this.#output += `\n${error.message}`;
        running.delete(this);
        resolve(null);
      });
    });
    running.add(this);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get output(): string {
    return this.#output;
  }

  get description(): string {
    return this.#description;
  }

  /** Resolves with the exit code when the process ends. */
  get exited(): Promise<number | null> {
    return this.#exited;
  }

  get hasExited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** Kills the process (SIGKILL, as a crash would) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.hasExited) this.#child.kill(signal);
    // A process that ignores a polite signal is killed after 3 s rather than hanging the test.
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => this.#child.kill('SIGKILL'), 3_000);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Stops the process (SIGTERM, then SIGKILL after 3 s) and removes its temporary directories. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    for (const dir of this.#cleanupDirs) rmSync(dir, { recursive: true, force: true });
  }

  killNow(): void {
    if (!this.hasExited) this.#child.kill('SIGKILL');
    for (const dir of this.#cleanupDirs) rmSync(dir, { recursive: true, force: true });
  }
}
