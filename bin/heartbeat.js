#!/usr/bin/env node
// Entry point of `npx heartbeat`: compiles the TypeScript sources on the fly with SWC.
const path = require('node:path');
// V8's compile cache (Node >= 22.1) keeps the compiled code of the sources and dependencies between
// runs (in the OS temp dir; a changed source is compiled afresh): a one-file classify starts in
// about 2 s instead of 3. Each screening worker thread enables it for itself.
require('node:module').enableCompileCache?.();
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require('../apps/cli/src/main.ts');
