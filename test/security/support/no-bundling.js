/**
 * Preloaded (`node --require`) into a worker that must not bundle workflow code: webpack stays
 * loadable (the SDK requires it when it loads) but calling it throws, and swc cannot load at
 * all. A worker that starts under it bundled nothing.
 */
'use strict';
const Module = require('node:module');

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === '@swc/core' || request === 'swc-loader') throw new Error(`no-bundling: ${request} was loaded`);
  const loaded = load.call(this, request, parent, isMain);
  if (request !== 'webpack') return loaded;
  const refuse = () => {
    throw new Error('no-bundling: webpack was called to bundle workflow code at worker start');
  };
  return new Proxy(loaded, { apply: refuse, get: (target, key) => (key === 'webpack' || key === 'default' ? refuse : target[key]) });
};
