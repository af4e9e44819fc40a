#!/usr/bin/env node
// Entry point of `npx heartbeat`. Runs the compiled JavaScript of `npm run build` (dist/) when it is
// current (bin/compiled-build.js); otherwise (a dev checkout with no build, or sources edited since)
// compiles the TypeScript on the fly with SWC, which costs ~1 s of CPU more at every start.
// HEARTBEAT_FROM_SOURCES=1 always takes the SWC path.
const path = require('node:path');
const { compiledBuildIsCurrent } = require('./compiled-build');
// V8's compile cache (Node >= 22.1) keeps the compiled code of the sources and dependencies between
// runs (in the OS temp dir; a changed source is compiled afresh). Each screening worker thread
// enables it for itself.
require('node:module').enableCompileCache?.();

const ROOT = path.join(__dirname, '..');
if (process.env.HEARTBEAT_FROM_SOURCES !== '1' && compiledBuildIsCurrent(ROOT)) {
  require('../dist/apps/cli/src/main.js');
} else {
  process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(ROOT, 'tsconfig.base.json');
  require('@swc-node/register');
  require('../apps/cli/src/main.ts');
}
