// Bundles GraphiQL into self-contained assets for Coffre's /graphiql: node build.mjs <outdir>
//   index.html                 the page (no inline script: the server's CSP is script-src 'self')
//   graphiql-<hash>.js / .css  the application and its styles (fonts inlined as data: URIs by graphiql's CSS)
//   <label>.worker-<hash>.js   Monaco's editor, JSON and GraphQL workers, loaded from the same origin
//   licenses.txt               name, version, licence and licence text of every npm package bundled
// Every asset but index.html has a content hash in its name: the server caches them as immutable. The hashed assets
// are stored gzip-compressed (<name>.gz): the server sends them as they are to browsers (all accept gzip) and
// decompresses them for a client that does not.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { gzipSync, constants } from 'node:zlib';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] ?? join(here, 'dist'));
const require = createRequire(import.meta.url);

const common = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  target: ['es2022'],
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  write: true,
  outdir,
};

/** Output file name of each entry point, from the metafile. */
function outputsByEntry(metafile) {
  const names = {};
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (output.entryPoint && file.endsWith('.js')) {
      names[output.entryPoint] = basename(file);
    }
  }
  return names;
}

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

// The workers: classic scripts (new Worker(url)), one file each.
const workerSources = {
  editor: require.resolve('monaco-editor/esm/vs/editor/editor.worker.js'),
  json: require.resolve('monaco-editor/esm/vs/language/json/json.worker.js'),
  graphql: require.resolve('monaco-graphql/esm/graphql.worker.js'),
};
const workerBuild = await build({
  ...common,
  entryPoints: Object.fromEntries(Object.entries(workerSources).map(([label, file]) => [`${label}.worker`, file])),
  format: 'iife',
  entryNames: '[name]-[hash]',
});
const workerOutputs = Object.values(workerBuild.metafile.outputs);
const workers = {};
for (const [label, source] of Object.entries(workerSources)) {
  const output = Object.entries(workerBuild.metafile.outputs).find(([, o]) => o.entryPoint && resolve(o.entryPoint) === source);
  if (!output) throw new Error(`no output for the ${label} worker (${workerOutputs.length} outputs)`);
  workers[label] = basename(output[0]);
}

// The application, told its workers' names.
const appBuild = await build({
  ...common,
  entryPoints: { graphiql: join(here, 'src', 'main.jsx') },
  format: 'esm',
  jsx: 'automatic',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file' },
  define: { ...common.define, COFFRE_WORKERS: JSON.stringify(workers) },
});
const app = Object.keys(appBuild.metafile.outputs).map((f) => basename(f));
const script = app.find((f) => f.startsWith('graphiql-') && f.endsWith('.js'));
const style = app.find((f) => f.startsWith('graphiql-') && f.endsWith('.css'));
if (!script || !style) throw new Error(`the application build produced ${app.join(', ')}`);

// The licences of what was bundled: every package with a file in either build's inputs.
const packages = new Map();
for (const input of [...Object.keys(workerBuild.metafile.inputs), ...Object.keys(appBuild.metafile.inputs)]) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replaceAll('\\', '/'));
  if (match) packages.set(resolve(match[1]), null);
}
const notices = [];
for (const dir of [...packages.keys()].sort()) {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const licenceFile = (await readdir(dir)).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = licenceFile ? (await readFile(join(dir, licenceFile), 'utf8')).trim() : '(no licence file in the package)';
  notices.push(`${manifest.name} ${manifest.version} (${manifest.license ?? 'see below'})\n\n${text}\n`);
}
await writeFile(join(outdir, 'licenses.txt'), `Third-party software in Coffre's GraphiQL page (${notices.length} npm packages)\n\n${notices.join('\n' + '-'.repeat(78) + '\n\n')}`);

// Absolute /graphiql/ paths: the page is served at /graphiql (no trailing slash) and its assets below it.
await writeFile(join(outdir, 'index.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Coffre · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/graphiql/${style}">
<script type="module" src="/graphiql/${script}"></script>
</head>
<body>
<div id="graphiql"><noscript>GraphiQL needs JavaScript.</noscript></div>
</body>
</html>
`);

for (const file of await readdir(outdir)) {
  if (file === 'index.html' || file === 'licenses.txt') continue;
  const path = join(outdir, file);
  await writeFile(`${path}.gz`, gzipSync(await readFile(path), { level: constants.Z_BEST_COMPRESSION }));
  await rm(path);
}

let total = 0;
for (const file of (await readdir(outdir)).sort()) {
  const { size } = await stat(join(outdir, file));
  total += size;
  console.log(`  ${file.padEnd(40)} ${(size / 1024).toFixed(0).padStart(6)} KiB`);
}
console.log(`graphiql assets: ${(total / 1024 / 1024).toFixed(1)} MiB in ${outdir}`);
