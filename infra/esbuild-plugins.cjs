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

/**
 * Lets esbuild drop the Encryption SDK's modules that nothing uses. @aws-crypto/client-node
 * re-exports every keyring, names only its CommonJS build in package.json (it ships an ES module
 * build too), and none of the packages declare themselves free of side effects, so the whole SDK,
 * down to the hierarchical keyring's branch key store and with it the DynamoDB client, was bundled
 * into the archive function, which uses the KMS keyring only. This resolves client-node to its ES
 * module build and marks @aws-crypto modules side-effect free: a module that is used keeps all of
 * its statements; only modules none of whose exports are used are left out.
 */
const unusedCryptoModules = {
  name: 'unused-crypto-modules',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'unused-crypto-modules' || args.namespace !== 'file') return undefined;
      if (!args.importer.includes('/node_modules/@aws-crypto/') && !args.path.startsWith('@aws-crypto/'))
        return undefined;
      const path =
        args.path === '@aws-crypto/client-node'
          ? '@aws-crypto/client-node/build/module/src/index.js'
          : args.path;
      const r = await build.resolve(path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'unused-crypto-modules',
      });
      if (r.errors.length > 0 || r.external || !r.path.includes('/node_modules/@aws-crypto/')) return r;
      return { ...r, sideEffects: false };
    });
  },
};

module.exports = [builtinsViaRequire, unusedCryptoModules];
