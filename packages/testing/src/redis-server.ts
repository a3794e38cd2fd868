import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './executable.ts';
import { freePort } from './free-port.ts';
import { ManagedProcess } from './managed-process.ts';
import { redisCli } from './redis-cli.ts';
import { ServiceUnavailableError } from './service-unavailable.ts';
import { waitUntil } from './wait-until.ts';

export interface RedisEndpoint {
  host: string;
  port: number;
}

/** A Redis server for tests: one this helper spawned, or one named by REDIS_URL. */
export interface RedisServer extends RedisEndpoint {
  url: string;
  /** False when the server came from REDIS_URL: it cannot be killed or restarted by tests. */
  readonly managed: boolean;
  /** Kills the process as a crash would (SIGKILL). */
  kill(): Promise<void>;
  /** Starts the server again on the same port with the same configuration. */
  restart(): Promise<void>;
  /**
   * Hangs the process (SIGSTOP) as a stalled host or a network that drops packets would: connections are
   * still accepted by the kernel, nothing is answered. `resume()` (SIGCONT) lets it go on.
   */
  hang(): void;
  resume(): void;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Extra redis-server arguments, e.g. ['--cluster-enabled', 'yes']. */
  args?: string[];
  /** Use this port instead of a free one. */
  port?: number;
  /** Ignore REDIS_URL and always spawn a server (tests that kill the server need their own). */
  spawn?: boolean;
}

const REDIS_HINT = 'install redis-server (apt-get install -y redis-server) or set REDIS_URL';

export function redisAvailability(options: { spawn?: boolean } = {}): string | undefined {
  if (!options.spawn && process.env.REDIS_URL) return undefined;
  return findExecutable('redis-server') === undefined ? `Redis is not available: ${REDIS_HINT}` : undefined;
}

/** A redis-server process on a free loopback port with its own temporary directory. */
export class LocalRedisServer implements RedisServer {
  readonly host = '127.0.0.1';
  readonly managed = true;
  readonly port: number;
  readonly dir: string;
  readonly #args: string[];
  #process: ManagedProcess | undefined;

  private constructor(port: number, args: string[]) {
    this.port = port;
    this.#args = args;
    this.dir = mkdtempSync(join(tmpdir(), `sharedstate-redis-${port}-`));
  }

  static async start(options: StartRedisOptions = {}): Promise<LocalRedisServer> {
    const binary = findExecutable('redis-server');
    if (binary === undefined) throw new ServiceUnavailableError(`Redis is not available: ${REDIS_HINT}`);
    let lastError: unknown;
    // A free port can be taken between probing and binding; try a few.
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new LocalRedisServer(options.port ?? (await freePort()), options.args ?? []);
      try {
        await server.#launch();
        return server;
      } catch (error) {
        lastError = error;
        await server.stop();
        if (options.port !== undefined) break;
      }
    }
    throw lastError;
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  async #launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      this.host,
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
      ...this.#args,
    ];
    const child = new ManagedProcess(findExecutable('redis-server') ?? 'redis-server', args, {
      description: `redis-server on port ${this.port}`,
    });
    this.#process = child;
    await waitUntil(async () => {
      if (child.hasExited) throw new Error(`redis-server exited: ${child.output.trim()}`);
      return (await redisCli(this.port, ['ping'])) === 'PONG';
    }, `redis-server on port ${this.port} to answer PING`);
  }

  async kill(): Promise<void> {
    await this.#process?.kill('SIGKILL');
  }

  hang(): void {
    if (this.pid !== undefined) process.kill(this.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.pid !== undefined) process.kill(this.pid, 'SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.#launch();
  }

  async stop(): Promise<void> {
    await this.#process?.stop();
    this.#process = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function externalRedis(url: string): RedisServer {
  const parsed = new URL(url);
  const refuse = () => Promise.reject(new Error('this test needs a Redis it can kill; unset REDIS_URL'));
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    managed: false,
    kill: refuse,
    restart: refuse,
    hang: () => {
      throw new Error('this test needs a Redis it can hang; unset REDIS_URL');
    },
    resume: () => {},
    stop: async () => {},
  };
}

/**
 * A Redis for tests: REDIS_URL when set (unless options.spawn), else a redis-server this helper spawns on
 * a free port. Throws ServiceUnavailableError when neither can be had.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const url = process.env.REDIS_URL;
  if (url && !options.spawn && options.args === undefined) return externalRedis(url);
  return LocalRedisServer.start(options);
}
