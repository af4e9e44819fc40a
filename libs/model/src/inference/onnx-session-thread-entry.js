// Worker threads start without the parent's require hooks: register SWC before loading TypeScript.
const path = require('node:path');
// The compile cache is per thread: see bin/heartbeat.js.
require('node:module').enableCompileCache?.();
process.env.SWC_NODE_PROJECT =
  process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', '..', '..', '..', 'tsconfig.base.json');
require('@swc-node/register');
require('./onnx-session-thread-main.ts');
