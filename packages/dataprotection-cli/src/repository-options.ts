import { existsSync, readFileSync } from 'node:fs';
import {
  type CertificateWithPrivateKey,
  FileSystemXmlRepository,
  type XmlRepository,
} from '@sharedstate/dataprotection-core';
import { postgresUrlProblem } from '@sharedstate/shared-helpers';
import { KeysCliUsageError } from './keys-cli-errors.ts';

/** The command-line options that name a key ring repository (exactly one kind) and its keys' encryption. */
export interface RepositoryOptions {
  dir?: string | undefined;
  'create-dir'?: boolean | undefined;
  redis?: string | undefined;
  'redis-cluster'?: string | undefined;
  'redis-sentinel'?: string | undefined;
  'sentinel-master'?: string | undefined;
  'redis-key'?: string | undefined;
  'azure-connection-string'?: string | undefined;
  'azure-container'?: string | undefined;
  'azure-blob'?: string | undefined;
  postgres?: string | undefined;
  'postgres-table'?: string | undefined;
  certificate?: string | undefined;
  'private-key'?: string | undefined;
}

/** The repository options as node:util's parseArgs takes them, for a command line of one's own. */
export const REPOSITORY_ARGS = {
  dir: { type: 'string' },
  'create-dir': { type: 'boolean' },
  redis: { type: 'string' },
  'redis-cluster': { type: 'string' },
  'redis-sentinel': { type: 'string' },
  'sentinel-master': { type: 'string' },
  'redis-key': { type: 'string' },
  'azure-connection-string': { type: 'string' },
  'azure-container': { type: 'string' },
  'azure-blob': { type: 'string' },
  postgres: { type: 'string' },
  'postgres-table': { type: 'string' },
  certificate: { type: 'string' },
  'private-key': { type: 'string' },
} as const;

/** A repository opened from the options, and what must be closed once done (its Redis client). */
export interface OpenedRepository {
  repository: XmlRepository;
  close(): Promise<void>;
  /** Says where the store is and why it could not be reached, for a failure of a command; else undefined. */
  unreachable?(): string | undefined;
}

export const REPOSITORY_USAGE = `Repository (exactly one):
  --dir <path>                          a shared folder (FileSystemXmlRepository); it must exist, unless
                                        --create-dir is given (for the first key)
  --redis <url>                         a Redis server, redis:// or rediss:// (RedisXmlRepository)
  --redis-cluster <url>[,<url>...]      some nodes of a Redis Cluster
  --redis-sentinel <host:port>[,...]    Redis Sentinels, with --sentinel-master <name>
  --redis-key <key>                     the Redis list (default DataProtection-Keys)
  --azure-connection-string <string>    an Azure storage account (or AZURE_STORAGE_CONNECTION_STRING),
                                        with --azure-container <name> [--azure-blob <name>, default keys.xml]
  --postgres <url>                      a PostgreSQL database, postgres:// (PostgresXmlRepository), with
                                        [--postgres-table <name>, default DataProtectionKeys]
Keys at rest (as the app's protectKeysWithCertificate):
  --certificate <pem file> --private-key <pem file>`;

/** Loads an optional peer package, or says what to install for the option that needs it. */
async function peer<T>(load: () => Promise<T>, option: string, packages: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new KeysCliUsageError(
        `${option} needs ${packages} installed beside @sharedstate/dataprotection-cli (npm install ${packages}).`,
      );
    }
    throw error;
  }
}

const hostAndPort = (text: string, option: string) => {
  const notRedis = () =>
    new KeysCliUsageError(`${option}: '${text}' is not host:port or a redis:// or rediss:// URL.`);
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `redis://${text}`);
  } catch {
    throw notRedis();
  }
  if (!url.hostname || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) throw notRedis();
  return { host: url.hostname, port: Number(url.port || 6379) };
};

/** Opens the one repository the options name; refuses none, two, or an incomplete one with a usage error. */
export async function openRepository(
  options: RepositoryOptions,
  env: NodeJS.ProcessEnv = {},
): Promise<OpenedRepository> {
  const azure =
    options['azure-connection-string'] ??
    (options['azure-container'] ? env.AZURE_STORAGE_CONNECTION_STRING : undefined);
  if (options['create-dir'] && options.dir === undefined) {
    throw new KeysCliUsageError('--create-dir goes with --dir.');
  }
  const given = (
    [
      ['--dir', options.dir],
      ['--redis', options.redis],
      ['--redis-cluster', options['redis-cluster']],
      ['--redis-sentinel', options['redis-sentinel']],
      ['--azure-connection-string', azure ?? options['azure-container']],
      ['--postgres', options.postgres],
    ] as const
  ).filter(([, value]) => value !== undefined);
  if (given.length !== 1) {
    throw new KeysCliUsageError(
      given.length === 0
        ? 'Name the key ring repository the app uses: --dir, --redis, --redis-cluster, --redis-sentinel, --azure-connection-string or --postgres.'
        : `Name one repository, not ${given.map(([name]) => name).join(' and ')}.`,
    );
  }
  if (
    options['redis-key'] !== undefined &&
    !(options.redis || options['redis-cluster'] || options['redis-sentinel'])
  ) {
    throw new KeysCliUsageError('--redis-key goes with --redis, --redis-cluster or --redis-sentinel.');
  }
  if (options['postgres-table'] !== undefined && options.postgres === undefined) {
    throw new KeysCliUsageError('--postgres-table goes with --postgres.');
  }
  if (options.dir !== undefined) {
    // A misspelt path would otherwise list "No keys", and `new` would start a second ring there.
    if (!options['create-dir'] && !existsSync(options.dir)) {
      throw new KeysCliUsageError(
        `--dir '${options.dir}' does not exist. Check the path, or add --create-dir to create it (a new ring's first key).`,
      );
    }
    return { repository: new FileSystemXmlRepository({ directory: options.dir }), close: async () => {} };
  }
  if (azure !== undefined || options['azure-container'] !== undefined) {
    if (!azure || !options['azure-container']) {
      throw new KeysCliUsageError(
        'Azure Blob needs --azure-connection-string (or AZURE_STORAGE_CONNECTION_STRING) and --azure-container.',
      );
    }
    const { AzureBlobXmlRepository } = await peer(
      () => import('@sharedstate/dataprotection-azureblob'),
      '--azure-connection-string',
      '@sharedstate/dataprotection-azureblob @azure/storage-blob',
    );
    const repository = new AzureBlobXmlRepository({
      connectionString: azure,
      containerName: options['azure-container'],
      ...(options['azure-blob'] === undefined ? {} : { blobName: options['azure-blob'] }),
    });
    return { repository, close: async () => {} };
  }
  if (options.postgres !== undefined) {
    const problem = postgresUrlProblem(options.postgres, '--postgres');
    if (problem !== undefined) throw new KeysCliUsageError(problem);
    const [{ PostgresXmlRepository }, { default: pg }] = await peer(
      () => Promise.all([import('@sharedstate/dataprotection-postgres'), import('pg')]),
      '--postgres',
      '@sharedstate/dataprotection-postgres pg',
    );
    // One connection, and an operator's tool says "unreachable" within the timeout instead of waiting on.
    const pool = new pg.Pool({ connectionString: options.postgres, max: 1, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => {});
    const repository = new PostgresXmlRepository({
      pool,
      ...(options['postgres-table'] === undefined ? {} : { tableName: options['postgres-table'] }),
    });
    return { repository, close: () => pool.end() };
  }
  const [{ RedisXmlRepository }, { Cluster, Redis }] = await peer(
    () => Promise.all([import('@sharedstate/dataprotection-redis'), import('ioredis')]),
    '--redis',
    '@sharedstate/dataprotection-redis ioredis',
  );
  // One try per command: an operator's tool should say "unreachable" within the timeout, not retry on.
  const settings = { maxRetriesPerRequest: 1, connectTimeout: 5_000 };
  let redis: InstanceType<typeof Redis> | InstanceType<typeof Cluster>;
  let where: string;
  if (options.redis !== undefined) {
    const { host, port } = hostAndPort(options.redis, '--redis');
    where = `Redis at ${host}:${port}`;
    redis = new Redis(options.redis.includes('://') ? options.redis : `redis://${options.redis}`, settings);
  } else if (options['redis-cluster'] !== undefined) {
    const nodes = options['redis-cluster']
      .split(',')
      .map((node) => hostAndPort(node.trim(), '--redis-cluster'));
    where = `the Redis Cluster at ${nodes.map((node) => `${node.host}:${node.port}`).join(', ')}`;
    redis = new Cluster(nodes, { redisOptions: settings });
  } else {
    const master = options['sentinel-master'];
    if (!master)
      throw new KeysCliUsageError('--redis-sentinel needs --sentinel-master <name> (the monitored master).');
    const sentinels = options['redis-sentinel']!.split(',').map((node) =>
      hostAndPort(node.trim(), '--redis-sentinel'),
    );
    where = `the Redis Sentinels at ${sentinels.map((node) => `${node.host}:${node.port}`).join(', ')}`;
    redis = new Redis({ ...settings, sentinels, name: master });
  }
  // Connection errors are reported by the command that fails (the last one says why); ioredis would
  // otherwise print each one.
  let lastConnectionError: Error | undefined;
  redis.on('error', (error: Error) => {
    lastConnectionError = error;
  });
  return {
    repository: new RedisXmlRepository({
      redis,
      ...(options['redis-key'] === undefined ? {} : { key: options['redis-key'] }),
    }),
    close: async () => void redis.disconnect(),
    unreachable: () =>
      lastConnectionError === undefined
        ? undefined
        : `Could not reach ${where}: ${lastConnectionError.message}.`,
  };
}

/** The certificate the app encrypts keys at rest with, read from PEM files; both options or neither. */
export function certificateOption(options: RepositoryOptions): CertificateWithPrivateKey | undefined {
  const { certificate, 'private-key': privateKey } = options;
  if (certificate === undefined && privateKey === undefined) return undefined;
  if (certificate === undefined || privateKey === undefined) {
    throw new KeysCliUsageError(
      '--certificate and --private-key go together (PEM files of one certificate).',
    );
  }
  const read = (path: string, option: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new KeysCliUsageError(`${option}: cannot read '${path}': ${(error as Error).message}`);
    }
  };
  return { certificate: read(certificate, '--certificate'), privateKey: read(privateKey, '--private-key') };
}
