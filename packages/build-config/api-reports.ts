// The public API of every published package, as API Extractor reports it from the built declarations: one
// report per entry a package publishes (`api/index.api.md`, `api/adapter.api.md`, …), committed beside the
// package. The API reports test compares them with the build; `pnpm api` writes them again after an export
// was added or removed on purpose.
//   node packages/build-config/api-reports.ts [--update]
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig, ExtractorLogLevel, type IConfigFile } from '@microsoft/api-extractor';

const PACKAGES = fileURLToPath(new URL('..', import.meta.url));

interface Manifest {
  name: string;
  private?: boolean;
  publishConfig?: { exports?: Record<string, unknown> };
}

/** One entry a package publishes: its name in the exports map ('.', './adapter') and its declarations. */
export interface PublishedEntry {
  packageName: string;
  packageDir: string;
  /** 'index' for '.', otherwise the subpath's last part ('adapter', 'testing'). */
  reportName: string;
  declarations: string;
}

/** Every entry of every published package, from the exports each publishes. */
export function publishedEntries(): PublishedEntry[] {
  const entries: PublishedEntry[] = [];
  for (const folder of readdirSync(PACKAGES).sort()) {
    const packageDir = join(PACKAGES, folder);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Manifest;
    } catch {
      continue;
    }
    if (manifest.private === true) continue;
    for (const [subpath, target] of Object.entries(manifest.publishConfig?.exports ?? {})) {
      const types = (target as { import?: { types?: string } }).import?.types;
      if (types === undefined) continue;
      entries.push({
        packageName: manifest.name,
        packageDir,
        reportName: subpath === '.' ? 'index' : subpath.split('/').at(-1)!,
        declarations: join(packageDir, types),
      });
    }
  }
  return entries;
}

/** What comparing (or writing) one entry's report found. */
export interface ReportOutcome {
  entry: PublishedEntry;
  /** The build's API differs from the committed report (in update mode: the report was rewritten). */
  changed: boolean;
  /** API Extractor's errors, which make the report unusable (a declaration it cannot read). */
  errors: string[];
}

/**
 * Runs API Extractor on one entry's declarations. With `update`, writes the report when it differs;
 * otherwise only compares.
 */
export function reportApi(entry: PublishedEntry, update: boolean): ReportOutcome {
  const temp = mkdtempSync(join(tmpdir(), 'sharedstate-api-'));
  const errors: string[] = [];
  if (update) mkdirSync(join(entry.packageDir, 'api'), { recursive: true });
  try {
    const configObject: IConfigFile = {
      projectFolder: entry.packageDir,
      mainEntryPointFilePath: entry.declarations,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2024',
            lib: ['ES2024'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            types: ['node'],
            strict: true,
            skipLibCheck: true,
          },
          files: [entry.declarations],
        },
      },
      apiReport: {
        enabled: true,
        reportFolder: join(entry.packageDir, 'api'),
        reportTempFolder: temp,
        reportFileName: `${entry.reportName}.api.md`,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        // The report records what is exported; the packages do not use release tags or TSDoc's syntax.
        compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
        extractorMessageReporting: {
          default: { logLevel: ExtractorLogLevel.Warning },
          'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
          'ae-forgotten-export': { logLevel: ExtractorLogLevel.None, addToApiReportFile: true },
          'ae-internal-missing-underscore': { logLevel: ExtractorLogLevel.None },
        },
        tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
      },
    };
    const config = ExtractorConfig.prepare({
      configObject,
      configObjectFullPath: undefined,
      packageJsonFullPath: join(entry.packageDir, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: update,
      messageCallback: (message) => {
        if (message.logLevel === ExtractorLogLevel.Error) errors.push(message.text);
        // Reported through the outcome, not printed.
        message.handled = true;
      },
    });
    return { entry, changed: result.apiReportChanged, errors };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const update = process.argv.includes('--update');
  let failed = false;
  for (const entry of publishedEntries()) {
    const outcome = reportApi(entry, update);
    const name = `${entry.packageName} (${entry.reportName})`;
    if (outcome.errors.length > 0) {
      failed = true;
      console.error(`${name}: ${outcome.errors.join('; ')}`);
    } else if (outcome.changed) {
      if (!update) failed = true;
      console.log(`${name}: ${update ? 'report written' : 'API differs from its report'}`);
    }
  }
  if (failed) {
    console.error(update ? 'Some reports could not be made.' : 'Run `pnpm api` to write the reports again.');
    process.exitCode = 1;
  }
}
