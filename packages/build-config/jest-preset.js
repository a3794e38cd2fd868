// Shared jest settings. Tests run the TypeScript sources (the "source" export condition), so no package
// needs building before its own tests; @swc/jest strips types quickly.
/** @type {import('jest').Config} */
const preset = {
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['source', 'node', 'require', 'default'] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json'],
  testTimeout: 20_000,
};
export default preset;

/**
 * The package's settings as two jest projects: every test as usual, and `peerSuites` (test file names under
 * test/) again with ioredis 6 as the only ioredis of the run, as a fresh `npm install ioredis` gives an app,
 * so the package resolves ioredis 6 itself. `ioredis6` is the absolute path of the package's ioredis 6
 * (`createRequire(import.meta.url).resolve('ioredis6')` in its jest.config.js).
 * @param {string[]} peerSuites
 * @param {string} ioredis6
 * @returns {import('jest').Config}
 */
export function withIoredis6AsPeer(peerSuites, ioredis6) {
  const { testTimeout, ...project } = preset;
  return {
    testTimeout,
    projects: [
      { ...project, displayName: 'ioredis as installed here' },
      {
        ...project,
        displayName: 'ioredis 6 as the peer',
        testMatch: peerSuites.map((name) => `<rootDir>/test/${name}`),
        moduleNameMapper: { '^ioredis$': ioredis6 },
      },
    ],
  };
}
