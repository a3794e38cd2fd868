import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/** Where a command-line tool writes (process.stdout/stderr, or a test's buffers). */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

type Parsed<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/**
 * One line for what parseArgs refused: its first sentence (`Unknown option '--dri'.`), without its advice on
 * positionals that start with '-', which is no help with a misspelt flag.
 */
export function argumentError(error: unknown): string {
  // parseArgs's errors may come from another realm (a test runner's): read the message, not instanceof.
  const given = (error as { message?: unknown } | undefined)?.message;
  const message = typeof given === 'string' ? given : String(error);
  const first = message.split(/(?<=\.) /, 1)[0]!;
  return first.endsWith('.') ? first : `${first}.`;
}

/**
 * Reads `<command> [options]` the way every sharedstate tool does: the command and its options, or the exit
 * code to end with instead. Arguments the options refuse, or no command, end with 2 and the usage on stderr;
 * `--help` (which `options` must declare) with 0 and the usage on stdout.
 */
export function readCommandLine<T extends ParseArgsOptionsConfig>(
  argv: string[],
  options: T,
  usage: string,
  io: CliOutput,
): { command: string; values: Parsed<T>['values'] } | number {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`${argumentError(error)}\n\n${usage}\n`);
    return 2;
  }
  const command = parsed.positionals[0];
  if ((parsed.values as { help?: boolean }).help) {
    io.out(`${usage}\n`);
    return 0;
  }
  if (command === undefined) {
    io.err(`${usage}\n`);
    return 2;
  }
  return { command, values: parsed.values };
}
