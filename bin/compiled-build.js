/* global module */
// Whether dist/ (`npm run build`) is current for a checkout: built after the last change to any file
// it is compiled from. bin/heartbeat.js runs the compiled CLI only then.
const fs = require('node:fs');
const path = require('node:path');

const TEST_FILE = /\.(int\.|browser\.)?test\.ts$|\.spec\.ts$/;

/** No source, workspace manifest or .swcrc is newer than the build's start (~300 stats, a few ms). */
function compiledBuildIsCurrent(root) {
  let builtAt;
  try {
    builtAt = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'build-info.json'), 'utf8')).sourcesReadAt;
  } catch {
    return false;
  }
  if (typeof builtAt !== 'number') return false;
  const newer = (file) => fs.statSync(file).mtimeMs >= builtAt;
  const changedUnder = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() ? changedUnder(full) : !TEST_FILE.test(entry.name) && newer(full)) return true;
    }
    return false;
  };
  try {
    if (newer(path.join(root, '.swcrc'))) return false;
    for (const group of ['apps', 'libs']) {
      for (const workspace of fs.readdirSync(path.join(root, group))) {
        if (group === 'apps' && workspace === 'console') continue; // Next.js builds it, not npm run build
        const dir = path.join(root, group, workspace);
        if (!fs.existsSync(path.join(dir, 'package.json'))) continue;
        if (!fs.existsSync(path.join(root, 'dist', group, workspace, 'package.json'))) return false;
        if (newer(path.join(dir, 'package.json')) || changedUnder(path.join(dir, 'src'))) return false;
      }
    }
  } catch {
    return false;
  }
  return true;
}

module.exports = { compiledBuildIsCurrent };
