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
  // One file at a time: the tracks are timed in real seconds on a 2-core machine, and two of
  // them at once would starve each other's workers and Temporal server.
  maxWorkers: 1,
};
