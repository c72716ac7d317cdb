#!/usr/bin/env node
/**
 * crud-ops: runs local/cli/main.ts through tsx, without a build step (`npx crud-ops …` once package.json
 * has "bin": {"crud-ops": "local/cli/bin.cjs"}; or `npm run cli -- …`).
 */
'use strict';
// The SDK's notice that releases after January 2027 need Node 22 would end every command's stderr on Node 20.
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
require('tsx/cjs');
const { run } = require('./main.ts');
run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
