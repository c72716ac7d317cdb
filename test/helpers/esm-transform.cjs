/**
 * Jest transform for ESM-only packages (jose 6): jest runs the suite as CommonJS, so their `import`/`export`
 * are rewritten to `require`/`module.exports` by esbuild. jest.config.js names the packages it applies to.
 */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { format: 'cjs', loader: 'js', target: 'node20', sourcemap: 'external', sourcefile: filename });
    return { code, map };
  },
};
