/** A command-line tool's output kept for assertions: pass it where the tool takes { out, err }. */
export interface CapturedOutput {
  stdout: string;
  stderr: string;
  out(text: string): void;
  err(text: string): void;
}

export function capturedOutput(): CapturedOutput {
  const io: CapturedOutput = {
    stdout: '',
    stderr: '',
    out(text) {
      io.stdout += text;
    },
    err(text) {
      io.stderr += text;
    },
  };
  return io;
}
