// Each published package's public API, from its built declarations, against the report committed beside it
// (packages/<name>/api/*.api.md): an export appears or disappears only with its report, on purpose.
import { publishedEntries, reportApi } from '@sharedstate/build-config/api-reports';

const entries = publishedEntries();

test('every published package has entries to report', () => {
  expect(entries.map(({ packageName }) => packageName)).toEqual(
    expect.arrayContaining(['@sharedstate/session-core', '@sharedstate/caching-redis']),
  );
  expect(
    entries.filter(({ packageName }) => packageName === '@sharedstate/session-core').map((e) => e.reportName),
  ).toEqual(['index', 'adapter']);
});

test.each(entries.map((entry) => [`${entry.packageName} (${entry.reportName})`, entry] as const))(
  '%s: the built API is its committed report (after an intended change, run `pnpm api`)',
  (_name, entry) => {
    const outcome = reportApi(entry, false);
    expect(outcome.errors).toEqual([]);
    expect(outcome.changed).toBe(false);
  },
  60_000,
);
