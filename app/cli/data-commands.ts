import { type Command, InvalidArgumentError } from 'commander';
import { type InspectReport, inspectData, makeSampleData, MB, partitionData } from '../node/services/data.ts';

const grouped = (n: number) => n.toLocaleString('en-US');
const num = (v: number | null) => (v === null ? '–' : Number(v.toPrecision(10)).toString());

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function integer(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

export function formatInspectReport(r: InspectReport): string {
  const lines = [
    ...(r.synthetic ? ['SYNTHETIC DATA (made by the sample-data generator; not real galaxies)'] : []),
    `files    ${r.files.length}${r.files.length <= 5 ? `: ${r.files.join(', ')}` : ` (${r.files[0]} … ${r.files[r.files.length - 1]})`}`,
    `samples  ${grouped(r.samples)}`,
    `bytes    ${grouped(r.bytes)} (${(r.bytes / MB).toFixed(2)} MB)`,
    '',
    ['tensor', 'shape', 'dtype', 'sum', 'min', 'max', 'mean', 'NaN', 'Inf']
      .map((h, i) => h.padEnd(i < 3 ? 16 : 20))
      .join('')
      .trimEnd(),
    ...r.tensors.map((t) =>
      [
        t.name,
        `[${t.shape.join(',')}]`,
        t.dtype,
        num(t.sum),
        num(t.min),
        num(t.max),
        num(t.mean),
        String(t.nan),
        String(t.inf),
      ]
        .map((c, i) => c.padEnd(i < 3 ? 16 : 20))
        .join('')
        .trimEnd(),
    ),
  ];
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description(
      'files, samples, bytes and per-tensor statistics of a .pt file, a folder of partitions or a list of files',
    )
    .argument('<paths...>', '.pt file(s) or folder(s) of 1.pt, 2.pt, …')
    .option('--json', 'print one JSON object instead of a table')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const report = await inspectData(paths);
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatInspectReport(report)}\n`);
    });

  program
    .command('partition')
    .description("split a dataset into 1.pt … k.pt of floor(size / 20504 bytes) samples each (the study's split)")
    .requiredOption('--in <path>', '.pt file or folder of partitions')
    .requiredOption('--size-mb <n>', 'target partition size in MB (2^20 bytes); fractions allowed', positiveNumber)
    .requiredOption('--out <dir>', 'output folder (must not already hold .pt files)')
    .action(async (opts: { in: string; sizeMb: number; out: string }) => {
      const tty = process.stderr.isTTY;
      const { files, samplesPerFile, samples } = await partitionData(
        opts.in,
        opts.sizeMb,
        opts.out,
        (written, total) => {
          if (tty) process.stderr.write(`\r${grouped(written)} / ${grouped(total)} samples written`);
        },
      );
      if (tty) process.stderr.write('\n');
      process.stdout.write(
        `wrote ${files.length} file(s) to ${opts.out}: ${grouped(samplesPerFile)} samples per file, ${grouped(samples)} samples in all\n`,
      );
    });

  program
    .command('sample-data')
    .description("generate SYNTHETIC galaxies in the study's .pt format (deterministic from the seed)")
    .requiredOption('--samples <n>', 'number of galaxies', positiveInt)
    .requiredOption('--out <dir>', 'output folder (must not already hold .pt files)')
    .option('--seed <s>', 'random seed', integer, 42)
    .option('--partition-mb <n>', 'split into 1.pt … k.pt of this size in MB instead of one file', positiveNumber)
    .action(async (opts: { samples: number; out: string; seed: number; partitionMb?: number }) => {
      const files = await makeSampleData({
        samples: opts.samples,
        outDir: opts.out,
        seed: opts.seed,
        partitionMb: opts.partitionMb,
      });
      process.stdout.write(
        `wrote ${grouped(opts.samples)} SYNTHETIC galaxies (seed ${opts.seed}) in ${files.length} file(s) to ${opts.out}\n`,
      );
    });
}
