import type { OptionErrorClass } from './option-error.ts';

/** The logging shape sharedstate uses: pino, console and most loggers fit it. */
export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

const ignore = () => {};
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/**
 * Warnings and errors on the console, debug and info dropped: the default where failures must be visible
 * to a user who passed no logger.
 */
export const consoleLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: (message, ...details) => console.warn(message, ...details),
  error: (message, ...details) => console.error(message, ...details),
};

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * A `logger` option as the packages take it: undefined is the console's warnings and errors (failures stay
 * visible to a user who passed nothing), false is none (undefined returned), and anything else must have the
 * four methods; otherwise `ErrorClass` is thrown, saying so.
 */
export function resolveLogger(logger: unknown, ErrorClass: OptionErrorClass): Logger | undefined {
  if (logger === false) return undefined;
  if (logger === undefined) return consoleLogger;
  const methods = logger as Partial<Record<(typeof LOG_LEVELS)[number], unknown>> | null;
  if (
    typeof logger !== 'object' ||
    methods === null ||
    !LOG_LEVELS.every((level) => typeof methods[level] === 'function')
  ) {
    throw new ErrorClass(
      `logger must have ${LOG_LEVELS.join(', ')} methods (pino, console and most loggers do), or be false for no logging.`,
    );
  }
  return logger as Logger;
}

/**
 * Fastify's own logger when the app has one (Fastify({ logger: true }), a pino instance, a custom one);
 * undefined, for the packages' default (the console), when logging is off in Fastify: its stand-in logger
 * drops every line, and warnings must reach someone.
 */
export function fastifyLoggerOf(fastifyLog: unknown): Logger | undefined {
  const log = fastifyLog as Partial<Logger> & { level?: unknown };
  const stub = log.warn === log.error && log.error === log.info && typeof log.level !== 'string';
  return stub ? undefined : (log as Logger);
}
