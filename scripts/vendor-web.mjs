// Copies the browser files that the dashboard loads from npm packages into web/vendor/, so that
// the hub serves them from its web root wherever that root is (the source tree, or a copy of
// web/ in an installed layout). npm runs this after `npm install` and `npm ci`.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(repo, 'web', 'vendor');

// [package file below node_modules, file below web/vendor]
const FILES = [
  ['uplot/dist/uPlot.esm.js', 'uplot/uPlot.esm.js'],
  ['uplot/dist/uPlot.min.css', 'uplot/uPlot.min.css'],
  ['uplot/LICENSE', 'uplot/LICENSE'],
];

rmSync(vendor, { recursive: true, force: true });
for (const [source, target] of FILES) {
  const destination = join(vendor, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(join(repo, 'node_modules', source), destination);
}
console.log(`vendor-web: copied ${FILES.length} files into web/vendor`);
