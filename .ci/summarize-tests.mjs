// Sums jest's JSON results of every workspace package that has a test script, and prints the closing line.
// A package whose test run left no results (it crashed before reporting) counts as one failure.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ['packages', 'examples']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    if (!JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) continue;
    const resultsFile = join(dir, '.jest-results.json');
    if (!existsSync(resultsFile)) {
      console.log(`${dir}: no test results (the test run crashed before reporting)`);
      failed += 1;
      continue;
    }
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    const broken = results.numRuntimeErrorTestSuites ?? 0;
    passed += results.numPassedTests;
    failed += results.numFailedTests + broken;
    skipped += results.numPendingTests + results.numTodoTests;
    console.log(
      `${dir}: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped${broken ? `, ${broken} suites failed to run` : ''}`,
    );
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
