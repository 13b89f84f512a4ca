#!/usr/bin/env node
'use strict';
// The built CLI lives in dist/ (npm start and `npx tsc -b` build it); this launcher is committed so
// the bin link npm makes at install time always has a target.
try {
  require('../dist/main.js').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/main.js')) {
    process.stderr.write('ionet-agent is not built yet: run `npx tsc -b services/worker-agent` (or `npm start`) first\n');
    process.exit(1);
  }
  throw err;
}
