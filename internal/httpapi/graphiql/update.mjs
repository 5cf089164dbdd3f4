// Copies the browser builds of the pinned npm releases (package.json, locked with integrity in
// package-lock.json and verified by `npm ci`) into assets/, byte for byte, and writes
// assets/manifest.json: for each file its package, version, licence and SHA-384. The gateway
// serves the files with that hash as their Subresource Integrity, and its tests check the
// embedded bytes against it. Run through scripts/update-graphiql.sh, not directly.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'assets';
const modules = 'node_modules';

// What the page loads, in order of need. `from` is a path inside the package.
const files = [
  { name: 'react.production.min.js', pkg: 'react', from: 'umd/react.production.min.js' },
  { name: 'react-dom.production.min.js', pkg: 'react-dom', from: 'umd/react-dom.production.min.js' },
  { name: 'graphiql.min.js', pkg: 'graphiql', from: 'graphiql.min.js' },
  { name: 'graphiql.min.css', pkg: 'graphiql', from: 'graphiql.min.css' },
  { name: 'plugin-explorer.umd.js', pkg: '@graphiql/plugin-explorer', from: 'dist/index.umd.js' },
  { name: 'plugin-explorer.css', pkg: '@graphiql/plugin-explorer', from: 'dist/style.css' },
];

// Licence texts: each package's own file; @graphiql/plugin-explorer publishes none (its
// package.json says MIT), so the bundled graphiql-explorer's licence stands beside it.
const licences = [
  { name: 'LICENSE.react', pkg: 'react', from: 'LICENSE' },
  { name: 'LICENSE.react-dom', pkg: 'react-dom', from: 'LICENSE' },
  { name: 'LICENSE.graphiql', pkg: 'graphiql', from: 'LICENSE' },
  { name: 'LICENSE.graphiql-explorer', pkg: '@graphiql/plugin-explorer/node_modules/graphiql-explorer', from: 'LICENSE' },
];

const pkgJSON = (pkg) => JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8'));
const sha384 = (path) => 'sha384-' + createHash('sha384').update(readFileSync(path)).digest('base64');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const manifest = { files: [] };
for (const f of [...files, ...licences]) {
  const src = join(modules, f.pkg, f.from);
  if (!existsSync(src)) throw new Error(`${src} is missing: did the release change its layout?`);
  copyFileSync(src, join(out, f.name));
  const meta = pkgJSON(f.pkg);
  manifest.files.push({
    name: f.name, package: meta.name, version: meta.version, from: f.from,
    license: meta.license, integrity: sha384(join(out, f.name)),
  });
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

// Everything the lockfile installs, with its licence: the bundles above include some of it.
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const lines = ['Packages installed from package-lock.json to take the files in this folder from.',
  'The bundles (graphiql.min.js above all) include code of some of them; each is under the licence',
  'its package declares.', ''];
for (const [path, p] of Object.entries(lock.packages)) {
  if (!path) continue;
  lines.push(`${path.replace(/^.*node_modules\//, '')}@${p.version}\t${p.license ?? 'UNKNOWN'}`);
}
writeFileSync(join(out, 'THIRD_PARTY.txt'), lines.join('\n') + '\n');
