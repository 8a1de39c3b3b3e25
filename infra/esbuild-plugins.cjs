// esbuild plugins for the function bundles (serverless.yml custom.esbuild.plugins).
const { builtinModules } = require('node:module');

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Loads Node built-ins with require() instead of ESM import. An ESM import of a built-in builds a
 * facade that reads every export, and for node:http that pulls in undici (~50 ms of module init)
 * only to expose fetch-era getters nobody here uses. require() returns the module as is. The
 * bundle's banner defines `require` (createRequire), so these stay plain runtime requires.
 */
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/0-9]+$/ }, (args) => {
      if (!builtins.has(args.path)) return undefined;
      if (args.kind === 'require-call' || args.namespace === 'builtin-cjs')
        return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin-cjs' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

module.exports = [builtinsViaRequire];
