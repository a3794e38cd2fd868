import { execFile } from 'node:child_process';
import { findExecutable } from './executable.ts';

/** Runs one redis-cli command against a server on loopback and returns its trimmed output. */
export function redisCli(port: number, args: string[], host = '127.0.0.1'): Promise<string> {
  const cli = findExecutable('redis-cli');
  if (cli === undefined)
    return Promise.reject(new Error('redis-cli is not on PATH (apt-get install redis-tools)'));
  return new Promise((resolve, reject) => {
    execFile(cli, ['-h', host, '-p', String(port), ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout.trim());
    });
  });
}
