#!/usr/bin/env node
// Entry point of `npx heartbeat`: compiles the TypeScript sources on the fly with SWC.
const path = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require('../apps/cli/src/main.ts');
