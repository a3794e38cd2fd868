#!/usr/bin/env node
import { runSqlCacheCli } from './sql-cache-cli.ts';

process.exitCode = await runSqlCacheCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
