#!/usr/bin/env node
/**
 * `npx ticket-bridge …` — the operator's CLI (src/cli). In a clone (`npm install` brings tsx, a
 * dev dependency) it runs the TypeScript sources through tsx; in a built image without dev
 * dependencies (`npm run build`, see the Dockerfile) it runs the compiled dist/src/cli/main.js.
 */
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const sources = join(root, 'src', 'cli', 'main.ts');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');

function hasTsx() {
  try {
    require.resolve('tsx/cjs', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

if (existsSync(sources) && hasTsx()) {
  require(require.resolve('tsx/cjs', { paths: [root] }));
  require(sources);
} else if (existsSync(compiled)) {
  require(compiled);
} else {
  process.stderr.write('ticket-bridge: run `npm install` (or `npm run build`) first\n');
  process.exitCode = 1;
}
