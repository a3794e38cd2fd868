/** The logger shape the packages take (pino-compatible), keeping its warnings and errors for assertions. */
export interface RecordingLogger {
  readonly logger: {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  };
  readonly warnings: string[];
  readonly errors: string[];
}

export function recordingLogger(): RecordingLogger {
  const warnings: string[] = [];
  const errors: string[] = [];
  const quiet = () => {};
  return {
    warnings,
    errors,
    logger: {
      debug: quiet,
      info: quiet,
      warn: (message) => void warnings.push(message),
      error: (message) => void errors.push(message),
    },
  };
}
