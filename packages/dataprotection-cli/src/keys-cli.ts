import { parseArgs } from 'node:util';
import {
  createDataProtection,
  DataProtectionConfigurationError,
  type DataProtectionProvider,
  MIN_KEY_LIFETIME_MS,
} from '@sharedstate/dataprotection-core';
import { argumentError, parseDuration } from '@sharedstate/shared-helpers';
import { describeInvalidElement, describeKey, type KeyDescription } from './key-status.ts';
import { KeysCliUsageError } from './keys-cli-errors.ts';
import {
  certificateOption,
  openRepository,
  REPOSITORY_ARGS,
  REPOSITORY_USAGE,
} from './repository-options.ts';

const USAGE = `Usage:
  sharedstate-keys list   <repository> [--json]
  sharedstate-keys new    <repository> [--activation <ISO date>] [--lifetime <duration, default 90d>] [--allow-unencrypted] [--json]
  sharedstate-keys revoke <repository> <key id> [--reason <text>] [--json]
  sharedstate-keys revoke <repository> --all [--before <ISO date, default now>] [--reason <text>] [--json]
  sharedstate-keys remove-invalid <repository> [--json]

list     every key with its status (active, pending, expired, revoked, suspended) and dates, then every
         element the ring cannot read, with where it is stored and what the ring took it to be.
new      adds a key (as the app's key manager would), activating now unless --activation says when. In a
         ring whose keys are encrypted at rest, pass the certificate (or --allow-unencrypted to store it in clear).
revoke   stops a key, or with --all every key created before a moment (after a leak), from unprotecting.
         On Redis and PostgreSQL running instances are told at once and refuse it within moments; on a
         folder or Azure Blob within their keyRingChangeCheckInterval (30 s by default).
remove-invalid  deletes the elements \`list\` reports as unreadable (check them first: one may have been a
         revocation that should be written again). Keys they suspended protect again.

${REPOSITORY_USAGE}`;

export interface KeysCliOutput {
  out(text: string): void;
  err(text: string): void;
}

const OPTIONS = {
  ...REPOSITORY_ARGS,
  json: { type: 'boolean' },
  activation: { type: 'string' },
  lifetime: { type: 'string' },
  reason: { type: 'string' },
  all: { type: 'boolean' },
  before: { type: 'string' },
  'allow-unencrypted': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
}

/** The key manager's advice names the app's options; here the same setting is a command-line option. */
const inCommandLineTerms = (message: string) =>
  message.replace(
    /Set xmlEncryptor \(e\.g\. a CertificateXmlEncryptor\) to protect keys at rest\./,
    "Pass --certificate and --private-key (the app's protectKeysWithCertificate) to encrypt it at rest.",
  );

function dateOption(text: string | undefined, option: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new KeysCliUsageError(`${option}: '${text}' is not a date (e.g. 2030-01-31T12:00:00Z).`);
  return date;
}

/**
 * Runs `sharedstate-keys` with these arguments; resolves with the exit code: 0 done, 1 the repository or the
 * key ring refused (unreachable, no such key), 2 a usage error.
 */
export async function runKeysCli(
  argv: string[],
  io: KeysCliOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let command: string | undefined;
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
    command = positionals[0];
  } catch (error) {
    io.err(`${argumentError(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help || command === undefined) {
    (values.help ? io.out : io.err)(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let opened: Awaited<ReturnType<typeof openRepository>> | undefined;
  try {
    const run = COMMANDS[command];
    if (run === undefined)
      throw new KeysCliUsageError(`Unknown command '${command}': use list, new, revoke or remove-invalid.`);
    const protectKeysWithCertificate = certificateOption(values);
    opened = await openRepository(values, env);
    const provider = createDataProtection({
      applicationName: null,
      repository: opened.repository,
      autoGenerateKeys: false,
      keyRingChangeCheckInterval: false,
      ...(protectKeysWithCertificate ? { protectKeysWithCertificate } : {}),
      allowUnencryptedKeys: values['allow-unencrypted'] ?? false,
      logger: {
        debug: () => {},
        info: () => {},
        warn: (message) => io.err(`warning: ${inCommandLineTerms(message)}\n`),
        error: (message) => io.err(`error: ${message}\n`),
      },
    });
    await run(provider, values, positionals.slice(1), io);
    return 0;
  } catch (error) {
    const usage = error instanceof KeysCliUsageError;
    const message = (!usage && opened?.unreachable?.()) || (error as Error).message;
    io.err(`${message}\n${usage ? `\n${USAGE}\n` : ''}`);
    return error instanceof DataProtectionConfigurationError ? 2 : 1;
  } finally {
    await opened?.close();
  }
}

type Command = (
  provider: DataProtectionProvider,
  values: Values,
  args: string[],
  io: KeysCliOutput,
) => Promise<void>;

const print = (io: KeysCliOutput, values: Values, json: unknown, text: string) =>
  io.out(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);

const COMMANDS: Record<string, Command> = {
  async list(provider, values, args, io) {
    if (args.length > 0) throw new KeysCliUsageError(`list takes no argument; got '${args[0]}'.`);
    const now = Date.now();
    const ring = await provider.keyManager.readKeyRing();
    const keys = [...ring.keys]
      .sort((a, b) => a.creationDate.getTime() - b.creationDate.getTime())
      .map((key) => describeKey(key, now));
    const invalid = ring.invalidElements.map(describeInvalidElement);
    const text = [
      keys.length === 0 ? `No keys in ${provider.keyManager.repositoryDescription}.` : table(keys),
      ...(invalid.length === 0
        ? []
        : [
            `\n${invalid.length} element${invalid.length === 1 ? ' cannot' : 's cannot'} be read (remove with \`sharedstate-keys remove-invalid\`):`,
            ...invalid.map(
              (element) =>
                `  ${element.location}: taken as ${element.treatedAs}${element.keyId ? ` of ${element.keyId}` : ''}; ${element.reason}`,
            ),
          ]),
    ].join('\n');
    print(io, values, [...keys, ...invalid], text);
  },

  async 'remove-invalid'(provider, values, args, io) {
    if (args.length > 0) throw new KeysCliUsageError(`remove-invalid takes no argument; got '${args[0]}'.`);
    const { keyManager } = provider;
    const { invalidElements } = await keyManager.readKeyRing();
    const removed = invalidElements.length === 0 ? 0 : await keyManager.deleteInvalidElements();
    const listed = invalidElements.map(({ location, treatedAs }) => ({ location, treatedAs }));
    print(
      io,
      values,
      { removed: listed.slice(0, removed) },
      removed === 0
        ? `Every element of ${keyManager.repositoryDescription} can be read; nothing removed.`
        : `Removed ${removed} unreadable element${removed === 1 ? '' : 's'}:\n${listed.map((e) => `  ${e.location} (${e.treatedAs})`).join('\n')}\nRunning instances stop reporting ${removed === 1 ? 'it' : 'them'} at their next change check.`,
    );
  },

  async new(provider, values, args, io) {
    if (args.length > 0) throw new KeysCliUsageError(`new takes no argument; got '${args[0]}'.`);
    const activation = dateOption(values.activation, '--activation') ?? new Date();
    const lifetimeMs = parseDuration(
      values.lifetime ?? '90d',
      '--lifetime',
      DataProtectionConfigurationError,
    );
    if (lifetimeMs < MIN_KEY_LIFETIME_MS) {
      throw new KeysCliUsageError(
        `--lifetime must be at least one week ('7d'), as createDataProtection's keyLifetime; got '${values.lifetime}'.`,
      );
    }
    const key = await provider.keyManager.createKey(activation, new Date(activation.getTime() + lifetimeMs));
    const description = describeKey(key, Date.now());
    print(
      io,
      values,
      description,
      `Created key ${key.id}, active ${description.activationDate} to ${description.expirationDate}.`,
    );
  },

  async revoke(provider, values, args, io) {
    const { keyManager } = provider;
    const reason = values.reason;
    if (values.all) {
      if (args.length > 0) throw new KeysCliUsageError('revoke --all takes no key id.');
      const before = dateOption(values.before, '--before') ?? new Date();
      await keyManager.revokeAllKeys(before, reason);
      print(
        io,
        values,
        { revoked: 'all', before: before.toISOString(), reason: reason ?? null },
        `Revoked every key created before ${before.toISOString()}. Payloads and cookies protected with them no longer unprotect ${whenSeen(keyManager.pushesChanges)}; instances create a new key when they load the ring.`,
      );
      return;
    }
    if (values.before !== undefined) throw new KeysCliUsageError('--before goes with revoke --all.');
    const [id, extra] = args;
    if (id === undefined || extra !== undefined) {
      throw new KeysCliUsageError('revoke takes one key id (see `sharedstate-keys list`), or --all.');
    }
    const known = (await keyManager.getAllKeys()).find((key) => key.id === id.toLowerCase());
    if (known === undefined) {
      throw new Error(
        `No key ${id} in ${keyManager.repositoryDescription}: \`sharedstate-keys list\` shows the ids. Is this the repository (and Redis key or blob) the app uses?`,
      );
    }
    if (known.isRevoked) {
      // A second revocation would change nothing but add an element every instance reads from then on.
      print(
        io,
        values,
        { revoked: known.id, alreadyRevoked: true, reason: null },
        `Key ${known.id} is revoked already; nothing was written.`,
      );
      return;
    }
    await keyManager.revokeKey(known.id, reason);
    print(
      io,
      values,
      { revoked: known.id, reason: reason ?? null },
      `Revoked key ${known.id}. Payloads and cookies protected with it no longer unprotect ${whenSeen(keyManager.pushesChanges)}.`,
    );
  },
};

/** When running instances act on a change this command wrote. */
function whenSeen(pushes: boolean): string {
  return pushes
    ? 'once running instances have re-read the ring: the change is announced to running instances, which re-read it within moments (instances that do not listen, such as ASP.NET Core apps, within their own checks)'
    : 'once running instances have re-read the ring: within their keyRingChangeCheckInterval (30 s by default)';
}

function table(keys: readonly KeyDescription[]): string {
  const rows = [
    ['id', 'status', 'created', 'activates', 'expires'],
    ...keys.map((key) => [key.id, key.status, key.creationDate, key.activationDate, key.expirationDate]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
