// Packs @tickstream/client as a package that installs anywhere: the client's compiled files, with
// the part of @tickstream/schemas it uses (a private workspace package, never published) carried
// inside it under dist/schemas/, and flatbuffers as its one dependency. Run after `tsc -b`:
//   npm run pack -w client [-- <destination directory>]   → tickstream-client-<version>.tgz
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const client = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemas = resolve(client, '../schemas');
const destination = resolve(process.argv[2] ?? client);
const stage = mkdtempSync(join(tmpdir(), 'tickstream-client-pack-'));

/** Compiled files (JavaScript and declarations), without tests, maps and build info. */
const shipped = (source) =>
  !/\.test\.|\.map$|tsbuildinfo/.test(source) && (statSync(source).isDirectory() || /\.(js|d\.ts)$/.test(source));
// Node-only modules of schemas (Kafka, lz4-napi) are never imported by the client.
const browserSafe = (source) => shipped(source) && !/[/\\](kafka-[^/\\]*|lz4-node)\.(js|d\.ts)$/.test(source);

try {
  cpSync(join(client, 'dist'), join(stage, 'dist'), { recursive: true, filter: shipped });
  cpSync(join(schemas, 'dist'), join(stage, 'dist/schemas'), { recursive: true, filter: browserSafe });
  for (const name of readdirSync(join(stage, 'dist'))) {
    if (!/\.(js|d\.ts)$/.test(name)) continue;
    const path = join(stage, 'dist', name);
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replaceAll("from '@tickstream/schemas'", "from './schemas/index.js'"),
    );
  }
  cpSync(join(client, 'README.md'), join(stage, 'README.md'));
  cpSync(join(client, 'examples'), join(stage, 'examples'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(client, 'package.json'), 'utf8'));
  const flatbuffers = JSON.parse(readFileSync(join(schemas, 'package.json'), 'utf8')).dependencies.flatbuffers;
  delete manifest.scripts;
  delete manifest.devDependencies;
  manifest.dependencies = { flatbuffers };
  manifest.files = ['dist', 'examples', 'README.md'];
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: stage })
    .toString()
    .trim();
  process.stdout.write(`${join(destination, out.split('\n').pop())}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
