#!/usr/bin/env node
import { runKeysCli } from './keys-cli.ts';

process.exitCode = await runKeysCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
