/**
 * Builds the Lambda zip for our three workers (cloud/lambda/), so Lambda runs exactly our engine:
 *   initializer.mjs, inference.mjs, summarizer.mjs   ESM bundles (esbuild; shared code in chunk-*.mjs), with the
 *                                                   AWS SDK and the engine inside;
 *   node_modules/onnxruntime-node/                  its JS and only the Linux native binary of the chosen
 *                                                   architecture (it stays external: a .node file cannot be bundled);
 *   node_modules/onnxruntime-common/                its CommonJS build, which onnxruntime-node requires.
 * The model is not in the zip: it goes to S3 under scripts/, where the inference worker reads it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTION_KEYS, HANDLERS } from './template.ts';
import { writeFileAtomic } from '../../engine/atomic-file.ts';
import { writeZip, type ZipInput } from './zip-writer.ts';

import { LAMBDA_ARCHES, type LambdaArch } from '../../base/price-table.ts';

export { LAMBDA_ARCHES, type LambdaArch };

/** Lambda's limit on the unzipped size of a function's code (and layers): 250 MB. */
export const UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE_ARCH: Record<LambdaArch, string> = { x86_64: 'x64', arm64: 'arm64' };

export interface PackageOptions {
  arch: LambdaArch;
  /** Where to write the zip. Default: `<os tmp>/cosmicai-lambda-<arch>.zip`. */
  outFile?: string;
  /** The project root holding cloud/lambda and node_modules (default: this checkout). */
  rootDir?: string;
  onProgress?: (step: 'bundle' | 'native' | 'zip' | 'write') => void;
  /** Unzipped size above which packaging fails. Default (and maximum sensible): Lambda's 250 MB. */
  limitBytes?: number;
}

export interface PackageResult {
  file: string;
  arch: LambdaArch;
  /** Sum of the files' sizes, what Lambda's 250 MB limit counts. */
  unzippedBytes: number;
  zippedBytes: number;
  /** sha256 of the zip; the same sources give the same zip. */
  sha256: string;
  entries: Array<{ name: string; bytes: number }>;
  /** The onnxruntime-node version packaged. */
  onnxruntimeVersion: string;
}

export class PackageError extends Error {
  override name = 'PackageError';
}

async function bundleHandlers(root: string): Promise<ZipInput[]> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new PackageError(
      'esbuild is not installed: run `npm install` in the project (it is a devDependency) to package the Lambda code.',
    );
  }
  const entryPoints = Object.fromEntries(
    FUNCTION_KEYS.map((k) => [HANDLERS[k].split('.')[0], path.join(root, 'cloud', 'lambda', `${k}.ts`)]),
  );
  for (const [name, file] of Object.entries(entryPoints))
    if (!existsSync(file)) throw new PackageError(`the ${name} worker is missing: ${file}`);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outdir: path.join(root, '.lambda-bundle'), // never written (write: false); names the output paths
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    external: ['onnxruntime-node'],
    minify: true,
    keepNames: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    // CommonJS code inside an ESM bundle calls require() for Node built-ins.
    banner: {
      js: "import { createRequire as __cosmicaiRequire } from 'node:module'; const require = __cosmicaiRequire(import.meta.url);",
    },
  });
  if (result.errors.length)
    throw new PackageError(`bundling the Lambda workers failed: ${result.errors.map((e) => e.text).join('; ')}`);
  return result.outputFiles.map((f) => ({
    name: path.relative(path.join(root, '.lambda-bundle'), f.path).split(path.sep).join('/'),
    data: f.contents,
  }));
}

async function filesUnder(dir: string, keep: (rel: string) => boolean, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...(await filesUnder(full, keep, base)));
    else if (keep(path.relative(base, full).split(path.sep).join('/'))) out.push(full);
  }
  return out.sort();
}

/** onnxruntime-node's JS and the Linux binary for `arch`, plus onnxruntime-common's CommonJS build. */
async function onnxruntimeFiles(root: string, arch: LambdaArch): Promise<{ entries: ZipInput[]; version: string }> {
  const req = createRequire(path.join(root, 'package.json'));
  let ortDir: string;
  try {
    ortDir = path.dirname(req.resolve('onnxruntime-node/package.json'));
  } catch {
    throw new PackageError(`onnxruntime-node is not installed under ${root}/node_modules: run \`npm install\`.`);
  }
  // onnxruntime-common exports no ./package.json: find its root from the CommonJS entry (dist/cjs/index.js).
  let commonDir = path.dirname(createRequire(path.join(ortDir, 'package.json')).resolve('onnxruntime-common'));
  while (!existsSync(path.join(commonDir, 'package.json')) || path.basename(commonDir) !== 'onnxruntime-common') {
    const up = path.dirname(commonDir);
    if (up === commonDir) throw new PackageError(`cannot find onnxruntime-common's folder next to ${ortDir}`);
    commonDir = up;
  }
  const pkg = JSON.parse(await readFile(path.join(ortDir, 'package.json'), 'utf8')) as { version: string };

  const binRoot = path.join(ortDir, 'bin');
  const napi = existsSync(binRoot) ? (await readdir(binRoot)).filter((d) => /^napi-v\d+$/.test(d)).sort() : [];
  const nodeArch = NODE_ARCH[arch];
  const withArch = napi.filter((d) => existsSync(path.join(binRoot, d, 'linux', nodeArch, 'onnxruntime_binding.node')));
  if (withArch.length === 0) {
    const shipped = napi.flatMap((d) =>
      existsSync(path.join(binRoot, d, 'linux'))
        ? [`${d}/linux/{${readdirSync(path.join(binRoot, d, 'linux')).join(',')}}`]
        : [],
    );
    throw new PackageError(
      `onnxruntime-node ${pkg.version} ships no Linux ${nodeArch} binary (looked for ${path.join(binRoot, 'napi-v*', 'linux', nodeArch, 'onnxruntime_binding.node')}; ` +
        `the package has: ${shipped.join(', ') || 'no Linux binaries'}). Choose --arch ${arch === 'arm64' ? 'x86_64' : 'arm64'}, or install an onnxruntime-node build that includes linux/${nodeArch}.`,
    );
  }
  // binding.js loads ../bin/napi-v<N>/<platform>/<arch>/onnxruntime_binding.node; keep the version it names.
  const bindingJs = await readFile(path.join(ortDir, 'dist', 'binding.js'), 'utf8');
  const named = /bin\/(napi-v\d+)\//.exec(bindingJs)?.[1];
  const napiDir = named && withArch.includes(named) ? named : withArch[withArch.length - 1];
  const nativeDir = path.join(binRoot, napiDir, 'linux', nodeArch);

  const pick = async (dir: string, prefix: string, keep: (rel: string) => boolean): Promise<ZipInput[]> => {
    const files = await filesUnder(dir, keep);
    return Promise.all(
      files.map(async (f) => ({
        name: `${prefix}/${path.relative(dir, f).split(path.sep).join('/')}`,
        data: await readFile(f),
      })),
    );
  };
  const js = (rel: string) => rel === 'package.json' || (rel.endsWith('.js') && !rel.includes('/'));
  const entries = [
    ...(await pick(ortDir, 'node_modules/onnxruntime-node', js)),
    ...(await pick(path.join(ortDir, 'dist'), 'node_modules/onnxruntime-node/dist', (rel) => rel.endsWith('.js'))),
    ...(await pick(nativeDir, `node_modules/onnxruntime-node/bin/${napiDir}/linux/${nodeArch}`, () => true)).map(
      (e) => ({ ...e, mode: 0o755 }),
    ),
    ...(await pick(commonDir, 'node_modules/onnxruntime-common', (rel) => rel === 'package.json')),
    ...(await pick(
      path.join(commonDir, 'dist', 'cjs'),
      'node_modules/onnxruntime-common/dist/cjs',
      (rel) => rel.endsWith('.js') || rel === 'package.json',
    )),
  ];
  return { entries, version: pkg.version };
}

export async function packageLambda(opts: PackageOptions): Promise<PackageResult> {
  if (!LAMBDA_ARCHES.includes(opts.arch))
    throw new PackageError(`architecture '${opts.arch}' is not one Lambda offers: use x86_64 or arm64`);
  const root = opts.rootDir ?? ROOT;
  const file = path.resolve(opts.outFile ?? path.join(os.tmpdir(), `cosmicai-lambda-${opts.arch}.zip`));

  // The native files first: a missing binary for the architecture fails before the slower bundling.
  opts.onProgress?.('native');
  const ort = await onnxruntimeFiles(root, opts.arch);
  opts.onProgress?.('bundle');
  const bundles = await bundleHandlers(root);
  const entries = [...bundles, ...ort.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const unzippedBytes = entries.reduce((n, e) => n + e.data.length, 0);
  if (unzippedBytes > (opts.limitBytes ?? UNZIPPED_LIMIT_BYTES)) {
    const top = [...entries]
      .sort((a, b) => b.data.length - a.data.length)
      .slice(0, 3)
      .map((e) => `${e.name} ${(e.data.length / 2 ** 20).toFixed(1)} MB`);
    throw new PackageError(
      `the Lambda package would be ${(unzippedBytes / 2 ** 20).toFixed(1)} MB unzipped, over the limit of ${((opts.limitBytes ?? UNZIPPED_LIMIT_BYTES) / 2 ** 20).toFixed(1)} MB (Lambda allows 250 MB; largest: ${top.join(', ')})`,
    );
  }
  opts.onProgress?.('zip');
  const zip = await writeZip(entries);
  opts.onProgress?.('write');
  try {
    await writeFileAtomic(file, Buffer.concat(zip.chunks), { mkdir: true });
  } catch (err) {
    throw new PackageError(`could not write the Lambda zip to ${file}: ${(err as Error).message}`);
  }
  const hash = createHash('sha256');
  for (const c of zip.chunks) hash.update(c);
  return {
    file,
    arch: opts.arch,
    unzippedBytes,
    zippedBytes: zip.zippedBytes,
    sha256: hash.digest('hex'),
    entries: entries.map((e) => ({ name: e.name, bytes: e.data.length })),
    onnxruntimeVersion: ort.version,
  };
}

/** "38.2 MB unzipped (limit 250 MB), 14.1 MB zipped". */
export function describePackage(r: PackageResult): string {
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  return `${r.file}: ${r.arch}, ${r.entries.length} files, ${mb(r.unzippedBytes)} unzipped (limit 250 MB), ${mb(r.zippedBytes)} zipped, onnxruntime-node ${r.onnxruntimeVersion}`;
}
