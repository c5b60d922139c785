// `node edge/dist/precompress-static.js DIR`: the build's last step on the dashboard (package.json).
import { precompressStaticFiles } from './static-files.js';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: node edge/dist/precompress-static.js DIR\n');
  process.exit(2);
}
const started = performance.now();
const count = precompressStaticFiles(dir);
process.stdout.write(
  `precompressed ${count} files of ${dir} (.br, .gz) in ${Math.round(performance.now() - started)} ms\n`,
);
