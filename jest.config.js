/** Type checking runs once in `npm test` (tsc --noEmit); ts-jest only transpiles, which keeps the suite fast. */
/** ESM-only packages that tests load: compiled to CommonJS for jest (test/helpers/esm-transform.cjs). */
const ESM_PACKAGES = ['jose'];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
    [`/node_modules/(${ESM_PACKAGES.join('|')})/.+\\.js$`]: '<rootDir>/test/helpers/esm-transform.cjs',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  testTimeout: 60000,
};
