import type { Writable } from 'node:stream';
import {
  type IoRedisClient,
  type NodeRedisClient,
  type NodeRedisCluster,
  runNodeRedisTransaction,
  sendNodeRedisCommand,
} from '@sharedstate/shared-helpers';
import type { Cluster, Command, Redis } from 'ioredis';
import { ioredis } from './ioredis-module.ts';
import { CACHE_SCRIPTS, type CacheScript } from './redis-scripts.ts';
import { encodeCommand } from './resp-encoding.ts';

/** An argument of a Redis command as ioredis takes it. */
export type CommandArgument = string | number | Buffer;

/**
 * How RedisCache's commands reach the server: the one place that knows whether the client is a Cluster.
 * Replies come as ioredis gives them: bulk strings as Buffers when `buffers` is set, as strings otherwise.
 */
export interface CacheCommands {
  send(name: string, args: CommandArgument[], buffers: boolean): Promise<unknown>;
  /** One of the cache's scripts on one key: EVALSHA, and EVAL when the server does not have the script. */
  script(script: CacheScript, key: string, args: CommandArgument[], buffers: boolean): Promise<unknown>;
  /**
   * Commands on `key` (each its name, then its arguments) run as one MULTI/EXEC transaction: all of them or,
   * if the connection is lost before EXEC, none. Rejects with the first command's error (a type error runs
   * the others all the same, as Redis transactions do).
   */
  transaction(key: string, commands: readonly (readonly CommandArgument[])[]): Promise<void>;
  /**
   * Commands on one key sent back to back on its connection, each on its own (no transaction), string
   * replies. Resolves when every one is answered; rejects with the first error.
   */
  pipeline(commands: readonly (readonly CommandArgument[])[]): Promise<unknown[]>;
}

/** Rejects with the first error reply among a transaction's replies (ioredis puts them in EXEC's array). */
function throwFirstErrorOf(replies: unknown): void {
  if (!Array.isArray(replies)) return;
  for (const reply of replies) if (reply instanceof Error) throw reply;
}

/**
 * Commands held in the corked socket before it is written without waiting for the turn to end. Holding a
 * whole turn of any length would leave Redis idle while a long turn's commands are made; writing every
 * 64th lets the two overlap in such a turn while the commands of the requests one turn handles under HTTP
 * load (32 connections: a read and a write each) still leave in one write, and Redis reads them in one
 * read: Redis's CPU per request is mostly those reads and writes, so fewer, larger writes cost it less
 * (`pnpm bench http` shows Redis CPU per request).
 */
const HELD_AT_MOST = 64;

type CommandClass = typeof Command;
type CommandOptions = ConstructorParameters<CommandClass>[2];

/** What corking uses of a standalone ioredis client, of whichever copy of ioredis it comes from. */
interface CorkableClient {
  readonly status: string;
  readonly stream: Writable;
}

/**
 * Holds the commands of one turn of the event loop in the connection's corked socket, until the turn ends
 * or HELD_AT_MOST of them wait, so that the commands of the requests handled in that turn leave in a few
 * writes rather than one each.
 */
class TurnCorking {
  /** The socket corked in this turn of the event loop, if any. */
  #corked: Writable | undefined;
  /** Commands waiting in the corked socket. */
  #held = 0;
  readonly #uncork = (): void => {
    const stream = this.#corked;
    this.#corked = undefined;
    stream?.uncork();
  };

  /** Call before a command is handed to the client. */
  before(client: CorkableClient): void {
    // Only a connected client writes at once; one that is connecting queues the command itself.
    if (this.#corked !== undefined || client.status !== 'ready') return;
    const stream = client.stream;
    stream.cork();
    this.#corked = stream;
    this.#held = 0;
    // setImmediate, not nextTick: requests arriving on different sockets in the same poll phase are handled
    // in separate callbacks, each followed by the nextTick queue; the check phase comes after all.
    setImmediate(this.#uncork);
  }

  /** Call after the command was handed to the client. */
  after(): void {
    if (this.#corked !== undefined && ++this.#held === HELD_AT_MOST) this.#uncork();
  }
}

/**
 * ioredis's Command class (of the copy the app's client comes from), writing its request with
 * encodeCommand; ioredis's own script commands override toWritable the same way.
 */
function withOwnEncoding(Base: CommandClass): CommandClass {
  return class EncodedCommand extends Base {
    override toWritable(): Buffer {
      return encodeCommand(this.name, this.args);
    }
  };
}

/**
 * A standalone (or Sentinel-managed) Redis: each command is built and sent as ioredis's own methods send
 * it when not auto-pipelining, with the connection's socket corked (TurnCorking). ioredis's auto-pipelining
 * batches as well, but through a pipeline object, a second promise and a deferred callback per command,
 * which cost more than the command itself.
 */
class CorkedCommands implements CacheCommands {
  readonly #client: Redis;
  /** ioredis's Command class, of the ioredis the app's client comes from. */
  readonly #Command: CommandClass;
  readonly #bufferReplies: CommandOptions;
  readonly #stringReplies: CommandOptions;
  readonly #corking = new TurnCorking();

  constructor(client: Redis, commandClass: CommandClass) {
    this.#client = client;
    this.#Command = withOwnEncoding(commandClass);
    // The options ioredis's methods give a command, keyPrefix included, made once.
    const { keyPrefix } = client.options;
    const prefix = keyPrefix === undefined ? {} : { keyPrefix };
    this.#bufferReplies = Object.freeze({ ...prefix, replyEncoding: null });
    this.#stringReplies = Object.freeze({ ...prefix, replyEncoding: 'utf8' as const });
  }

  send(name: string, args: CommandArgument[], buffers: boolean): Promise<unknown> {
    const client = this.#client;
    const command = new this.#Command(name, args, buffers ? this.#bufferReplies : this.#stringReplies);
    this.#corking.before(client);
    client.sendCommand(command);
    this.#corking.after();
    return command.promise as Promise<unknown>;
  }

  transaction(_key: string, commands: readonly (readonly CommandArgument[])[]): Promise<void> {
    const client = this.#client;
    const exec = commands.length + 1;
    const replies: Promise<unknown>[] = [];
    this.#corking.before(client);
    for (let index = 0; index <= exec; index++) {
      const [name, ...args] = index === 0 ? ['multi'] : index === exec ? ['exec'] : commands[index - 1]!;
      const command = new this.#Command(String(name), args, this.#stringReplies);
      // ioredis's own marks for the commands of a transaction: when the connection is lost after some of
      // their replies came, it resends none of the rest (which would run outside MULTI) and rejects them.
      command.pipelineIndex = index;
      command.inTransaction = index !== 0 && index !== exec;
      client.sendCommand(command);
      replies.push(command.promise);
    }
    this.#corking.after();
    // A command refused while queued (MULTI's QUEUED step) rejects before EXEC's EXECABORT, so Promise.all
    // rejects with its own error.
    return Promise.all(replies).then((all) => throwFirstErrorOf(all[exec]));
  }

  pipeline(commands: readonly (readonly CommandArgument[])[]): Promise<unknown[]> {
    const client = this.#client;
    const replies: Promise<unknown>[] = [];
    this.#corking.before(client);
    for (const [name, ...args] of commands) {
      const command = new this.#Command(String(name), args, this.#stringReplies);
      client.sendCommand(command);
      replies.push(command.promise);
    }
    this.#corking.after();
    return Promise.all(replies);
  }

  script(script: CacheScript, key: string, args: CommandArgument[], buffers: boolean): Promise<unknown> {
    const evalArgs: CommandArgument[] = [script.sha, 1, key, ...args];
    return this.send('evalsha', evalArgs, buffers).then(undefined, (error: unknown) => {
      // A server restarted or flushed (SCRIPT FLUSH) has lost the script: send it whole; it is cached again.
      if (!(error instanceof Error && error.message.includes('NOSCRIPT'))) throw error;
      evalArgs[0] = script.lua;
      return this.send('eval', evalArgs, buffers);
    });
  }
}

type ClientMethod = (...args: CommandArgument[]) => Promise<unknown>;

/** What ioredis's multi() returns, as far as it is used here: EXEC's replies as [error, reply] pairs. */
interface IoRedisTransaction {
  exec(): Promise<[Error | null, unknown][] | null>;
}

/**
 * A Cluster: ioredis's own methods, which route each command to its slot's node and, with
 * enableAutoPipelining, batch by node. Scripts are ioredis script commands, which pass the key first (what
 * the Cluster's auto-pipelining groups by) and resend as EVAL on NOSCRIPT. Also a client of another copy of
 * ioredis than the one this package resolves (its commands are that copy's own classes), whose socket is
 * corked as CorkedCommands corks it when it is a standalone client.
 */
class ClientMethodCommands implements CacheCommands {
  readonly #methods: Record<string, ClientMethod | undefined>;
  /** A standalone client of another copy of ioredis is corked as the package's own would be. */
  readonly #standalone: CorkableClient | undefined;
  readonly #corking = new TurnCorking();

  constructor(client: Redis | Cluster, useScripts: boolean) {
    this.#methods = client as unknown as Record<string, ClientMethod | undefined>;
    const cluster = typeof (client as Partial<Cluster>).nodes === 'function';
    this.#standalone = cluster ? undefined : (client as Redis);
    // Defined once per client, so several caches on one client share them.
    for (const { name, lua } of useScripts ? CACHE_SCRIPTS : []) {
      if (typeof this.#methods[name] !== 'function') client.defineCommand(name, { numberOfKeys: 1, lua });
    }
  }

  #call(name: string, buffers: boolean, args: CommandArgument[]): Promise<unknown> {
    const method = this.#methods[buffers ? `${name}Buffer` : name];
    if (method === undefined) return Promise.reject(new Error(`The ioredis client has no ${name} command.`));
    const standalone = this.#standalone;
    if (standalone === undefined) return method.apply(this.#methods, args);
    this.#corking.before(standalone);
    const sent = method.apply(this.#methods, args);
    this.#corking.after();
    return sent;
  }

  send(name: string, args: CommandArgument[], buffers: boolean): Promise<unknown> {
    return this.#call(name, buffers, args);
  }

  script(script: CacheScript, key: string, args: CommandArgument[], buffers: boolean): Promise<unknown> {
    return this.#call(script.name, buffers, [key, ...args]);
  }

  pipeline(commands: readonly (readonly CommandArgument[])[]): Promise<unknown[]> {
    return Promise.all(commands.map(([name, ...args]) => this.#call(String(name), false, args)));
  }

  transaction(_key: string, commands: readonly (readonly CommandArgument[])[]): Promise<void> {
    // ioredis's transaction pipeline; a Cluster sends it to the node of the key's slot.
    const multi = this.#methods.multi as unknown as (batch: unknown[][]) => IoRedisTransaction;
    const standalone = this.#standalone;
    if (standalone !== undefined) this.#corking.before(standalone);
    const executed = multi.call(this.#methods, commands as unknown[][]).exec();
    if (standalone !== undefined) this.#corking.after();
    return executed.then(
      (results) => {
        for (const [error] of results ?? []) if (error) throw error;
      },
      (error: unknown) => {
        // EXECABORT carries the errors of the commands refused while queued: the first says why.
        throw (error as { previousErrors?: unknown[] }).previousErrors?.[0] ?? error;
      },
    );
  }
}

/**
 * A node-redis client or cluster: every command through its sendCommand (a cluster routes it by the key,
 * always the first argument here), which node-redis pipelines by itself. Scripts are EVALSHA, and EVAL
 * when the server does not have the script.
 */
class NodeRedisCommands implements CacheCommands {
  readonly #send: (
    key: string | Buffer | undefined,
    args: (string | Buffer)[],
    buffers: boolean,
  ) => Promise<unknown>;

  readonly #transaction: (key: string, commands: (string | Buffer)[][]) => Promise<unknown>;

  constructor(client: NodeRedisClient | NodeRedisCluster) {
    this.#send = (key, args, buffers) => sendNodeRedisCommand(client, key, args, buffers);
    this.#transaction = (key, commands) => runNodeRedisTransaction(client, key, commands);
  }

  send(name: string, args: CommandArgument[], buffers: boolean): Promise<unknown> {
    const key = args[0];
    return this.#send(
      key === undefined ? undefined : asArgument(key),
      [name, ...args.map(asArgument)],
      buffers,
    );
  }

  transaction(key: string, commands: readonly (readonly CommandArgument[])[]): Promise<void> {
    return this.#transaction(
      key,
      commands.map((command) => command.map(asArgument)),
    ).then(undefined, (error: unknown) => {
      // node-redis reports failed commands of a transaction in one MultiErrorReply: the first says why.
      const { replies, errorIndexes } = error as { replies?: unknown[]; errorIndexes?: number[] };
      const first = errorIndexes?.[0];
      throw first === undefined || replies === undefined ? error : replies[first];
    });
  }

  pipeline(commands: readonly (readonly CommandArgument[])[]): Promise<unknown[]> {
    // node-redis writes the commands of one tick together.
    return Promise.all(commands.map(([name, ...args]) => this.send(String(name), args, false)));
  }

  script(script: CacheScript, key: string, args: CommandArgument[], buffers: boolean): Promise<unknown> {
    const rest = [key, ...args.map(asArgument)];
    return this.#send(key, ['EVALSHA', script.sha, '1', ...rest], buffers).then(
      undefined,
      (error: unknown) => {
        if (!(error instanceof Error && error.message.includes('NOSCRIPT'))) throw error;
        return this.#send(key, ['EVAL', script.lua, '1', ...rest], buffers);
      },
    );
  }
}

/** node-redis takes strings and Buffers only. */
const asArgument = (argument: CommandArgument): string | Buffer =>
  typeof argument === 'number' ? String(argument) : argument;

export function cacheCommandsFor(
  client: IoRedisClient | NodeRedisClient | NodeRedisCluster,
  useScripts: boolean,
): CacheCommands {
  if (typeof (client as unknown as Partial<Redis>).hmgetBuffer === 'function') {
    // A peer dependency: in an app, the client's ioredis is the one loaded here.
    const { Command, Redis: RedisClass } = ioredis();
    if (client instanceof RedisClass) return new CorkedCommands(client, Command);
    return new ClientMethodCommands(client as Redis | Cluster, useScripts);
  }
  return new NodeRedisCommands(client as NodeRedisClient | NodeRedisCluster);
}
