// Lets a test start a service as a real process from its TypeScript sources (no build step):
// `node -r libs/testing/src/ts-register.cjs services/x/src/main.ts`. @ionet/* resolves to libs/*/src,
// as in Jest; files compile with the same SWC settings as Jest's.
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '../../..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveIonet(request, parent, ...rest) {
  const match = /^@ionet\/([a-z-]+)(\/.*)?$/.exec(request);
  const mapped = match ? path.join(root, 'libs', match[1], 'src', match[2] ?? '') : request;
  return resolveFilename.call(this, mapped, parent, ...rest);
};

Module._extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
