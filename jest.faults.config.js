/**
 * The fault suite (`npm run test:faults`): test/faults/*.faults.ts, apart from `npm test`
 * because it runs for minutes (see test/faults/README.md).
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.faults.ts'],
  testTimeout: 30 * 60_000,
};
