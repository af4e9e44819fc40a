// `npm run build`: compiles the apps and libs (not the console, which Next.js builds) to CommonJS
// JavaScript under dist/, keeping the repository's layout, so what runs in development through
// @swc-node/register runs compiled with plain `node`, e.g.
//   node dist/apps/gateway/src/main.js        node dist/bin/heartbeat.js classify samples/
// The same SWC settings as development (.swcrc: legacy decorators with metadata, ES2023, CommonJS).
// Each workspace's package.json is copied with `main` pointing at the compiled file, and
// dist/node_modules/@heartbeat/* link to the compiled libs; models/ is linked, not copied.
// The production images (deploy/docker/Dockerfile) run this in their build stage.
import { transformFile } from '@swc/core';
import { cp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.resolve(ROOT, process.argv[2] ?? 'dist');
// The console is a Next.js app: `next build` compiles it (deploy/docker/Dockerfile, apps/console).
const SKIPPED_WORKSPACES = new Set(['apps/console']);
const TEST_FILE = /\.(int\.|browser\.)?test\.ts$|\.spec\.ts$/;

const swcrc = JSON.parse(await readFile(path.join(ROOT, '.swcrc'), 'utf8'));
delete swcrc.$schema;

async function filesUnder(dir) {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory())
        return entry.name === 'test' || entry.name === 'node_modules' ? [] : filesUnder(full);
      return [full];
    }),
  );
  return nested.flat();
}

/** A package.json whose entry points name the compiled files. */
function compiledManifest(manifest) {
  const toJs = (file) => file.replace(/\.ts$/, '.js');
  const result = { ...manifest };
  if (result.main) result.main = toJs(result.main);
  const exportsToJs = (value) =>
    typeof value === 'string'
      ? toJs(value)
      : Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, exportsToJs(inner)]));
  if (result.exports) result.exports = exportsToJs(result.exports);
  delete result.types;
  delete result.devDependencies;
  if (result.scripts?.start)
    result.scripts = {
      start: result.scripts.start.replace(/-r @swc-node\/register /, '').replace(/\.ts\b/, '.js'),
    };
  else delete result.scripts;
  return result;
}

/** A hand-written .js entry (e.g. a worker-thread shim) that registers SWC and requires a .ts file. */
function compiledShim(source) {
  return source
    .split('\n')
    .filter((line) => !/@swc-node\/register|SWC_NODE_PROJECT|register SWC|^const path = require/.test(line))
    .join('\n')
    .replace(/require\((['"])(\.[^'"]+)\.ts\1\)/g, 'require($1$2.js$1)');
}

async function compileWorkspace(relativeDir) {
  const sourceDir = path.join(ROOT, relativeDir);
  const targetDir = path.join(OUT, relativeDir);
  const manifest = JSON.parse(await readFile(path.join(sourceDir, 'package.json'), 'utf8'));
  await mkdir(targetDir, { recursive: true });
  await writeFile(
    path.join(targetDir, 'package.json'),
    `${JSON.stringify(compiledManifest(manifest), null, 2)}\n`,
  );
  let compiled = 0;
  for (const file of await filesUnder(path.join(sourceDir, 'src'))) {
    const relative = path.relative(sourceDir, file);
    const target = path.join(targetDir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    if (file.endsWith('.d.ts') || TEST_FILE.test(file) || file.endsWith('.md')) continue;
    if (file.endsWith('.ts')) {
      const output = await transformFile(file, {
        ...swcrc,
        swcrc: false,
        configFile: false,
        filename: file,
        sourceMaps: true,
        sourceFileName: path.relative(path.dirname(target), file),
      });
      const jsFile = target.replace(/\.ts$/, '.js');
      await writeFile(jsFile, `${output.code}\n//# sourceMappingURL=${path.basename(jsFile)}.map\n`);
      if (output.map) await writeFile(`${jsFile}.map`, output.map);
      compiled += 1;
    } else if (file.endsWith('.js')) {
      await writeFile(target, compiledShim(await readFile(file, 'utf8')));
    } else {
      await cp(file, target);
    }
  }
  // Data the code reads at run time next to its sources (the database migrations).
  for (const dataDir of ['migrations']) {
    await cp(path.join(sourceDir, dataDir), path.join(targetDir, dataDir), { recursive: true }).catch(
      (error) => {
        if (error.code !== 'ENOENT') throw error;
      },
    );
  }
  return { name: manifest.name, compiled };
}

const started = Date.now();
// Sources changed after this instant may not be in the build: bin/heartbeat.js runs dist/ only when
// no source is newer (mtime resolution leaves a margin of a second).
const sourcesReadAt = started - 1000;
await rm(OUT, { recursive: true, force: true });
const workspaces = [];
for (const group of ['apps', 'libs']) {
  for (const entry of await readdir(path.join(ROOT, group), { withFileTypes: true })) {
    const relative = `${group}/${entry.name}`;
    if (!entry.isDirectory() || SKIPPED_WORKSPACES.has(relative)) continue;
    const hasManifest = await readFile(path.join(ROOT, relative, 'package.json')).then(
      () => true,
      () => false,
    );
    if (hasManifest) workspaces.push(relative);
  }
}
const results = await Promise.all(workspaces.map(compileWorkspace));

// Resolve @heartbeat/* to the compiled workspaces from anywhere under dist/.
await mkdir(path.join(OUT, 'node_modules', '@heartbeat'), { recursive: true });
for (const [index, result] of results.entries()) {
  const link = path.join(OUT, 'node_modules', result.name);
  await symlink(path.relative(path.dirname(link), path.join(OUT, workspaces[index])), link);
}
await symlink(path.relative(OUT, path.join(ROOT, 'models')), path.join(OUT, 'models'));
await mkdir(path.join(OUT, 'bin'), { recursive: true });
await writeFile(
  path.join(OUT, 'bin', 'heartbeat.js'),
  "#!/usr/bin/env node\n// `heartbeat` from the compiled build (npm run build).\nrequire('node:module').enableCompileCache?.();\nrequire('../apps/cli/src/main.js');\n",
  { mode: 0o755 },
);
await writeFile(path.join(OUT, 'package.json'), '{ "private": true, "type": "commonjs" }\n');
await writeFile(path.join(OUT, 'build-info.json'), `${JSON.stringify({ sourcesReadAt })}\n`);

const files = results.reduce((sum, result) => sum + result.compiled, 0);
console.log(
  `Compiled ${files} files of ${results.length} workspaces into ${path.relative(ROOT, OUT) || '.'}/ in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
