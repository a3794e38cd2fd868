#!/usr/bin/env node
import { runPostgresCacheCli } from './postgres-cache-cli.ts';

process.exitCode = await runPostgresCacheCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
