import { Command, InvalidArgumentError, Option } from 'commander';
import { appDataDir } from '../node/services/system.ts';
import {
  importFrom as importFromIn,
  isStudyId,
  recordedReportHtml,
  recordedRunJson,
  recordedTables,
  saveRecordedRuns,
  studyIdReportHtml,
  type ImportResult,
} from '../node/services/recorded-results.ts';
import { exportTable, type ExportFormat } from '../../base/table.ts';
import { HistoryStore } from '../node/history-store.ts';
import { formatTable } from './local-table.ts';
import { writeFile } from 'node:fs/promises';
import { registerStudyRun } from './study-run-commands.ts';
import { registerStudyRecommend } from './study-recommend-command.ts';
import { CPU_MEMORY, CPU_TIME } from '../../base/metric-keys.ts';

/** `cosmicai import SOURCE` and `cosmicai study tables SOURCE`: recorded study results, from a folder or s3://bucket/prefix. */

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

/** Imports from a folder or an s3:// URL; the profile is only needed (and loaded) for S3. */
const importFrom = (source: string, profileName: string | undefined) =>
  importFromIn(appDataDir(), source, profileName, {
    several: (names) => `several profiles are saved (${names.join(', ')}): choose one with --profile NAME`,
    none: 'reading s3:// needs a saved profile: add one with `cosmicai profile add NAME …`',
  });

function reportProblems(r: ImportResult): void {
  for (const p of r.problems) err(`skipped ${p.source}: ${p.problem}`);
  for (const run of r.runs) for (const w of run.warnings) err(`warning ${run.source}: ${w}`);
  if (r.ignored.length)
    err(
      `ignored ${r.ignored.length} combined_data.json file(s) outside the result-partition-<P>MB/<data>/[Batches/<batch>/]<run>/ layout: ${r.ignored.join(', ')}`,
    );
}

const fixed = (x: number | null, digits: number) => (x !== null && Number.isFinite(x) ? x.toFixed(digits) : '-');

function importTable(r: ImportResult): string {
  const headers = [
    'partition (MB)',
    'data',
    'sweep',
    'batch',
    'repeat',
    'ranks',
    'CPU time (s)',
    'memory (MB)',
    'throughput (Mbps)',
    'total bits',
    'source',
  ];
  const rows = r.runs.map((x) => [
    String(x.partition_mb),
    x.data_label,
    x.sweep,
    String(x.batch_size),
    String(x.repeat),
    String(x.ranks),
    fixed(x[CPU_TIME], 2),
    fixed(x[CPU_MEMORY], 1),
    fixed(x.throughput_bps / 1e6, 2),
    x.total_bits.toExponential(4),
    x.source,
  ]);
  return [
    `${r.runs.length} recorded run(s) from ${r.from}` +
      (r.problems.length ? `; ${r.problems.length} file(s) skipped (reasons on stderr)` : ''),
    '',
    formatTable(headers, rows, [true, false, false, true, true, true, true, true, true, true, false]),
    '',
    'CPU time: mean over ranks after dropping values outside 1.5×IQR; memory and throughput: summed over ranks; total bits: Σ throughput × CPU time (as the study).',
  ].join('\n');
}

function memoryMb(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 128 || n > 10240)
    throw new InvalidArgumentError(`Lambda memory must be a whole number of MB from 128 to 10240, got '${raw}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('import')
    .description(
      'Read recorded study results (result-partition-<P>MB/<data>/[Batches/<batch>/]<run>/combined_data.json), aggregate each run as the study did and add it to History',
    )
    .argument('<source>', 'a folder, or s3://bucket/prefix (uses --profile)')
    .option('--json', 'print one JSON array, one object per recorded run')
    .option('--profile <name>', 'saved AWS profile for s3:// sources')
    .option('--no-save', 'only print; do not add the runs to History')
    .action(async (source: string, opts: { json?: boolean; profile?: string; save: boolean }) => {
      const { result } = await importFrom(source, opts.profile);
      reportProblems(result);
      if (opts.save && result.runs.length) {
        const { saved, existing } = await saveRecordedRuns(new HistoryStore(appDataDir()), result);
        err(
          `History: ${saved.length} recorded run(s) added` +
            (existing.length ? `, ${existing.length} already there` : ''),
        );
      }
      if (opts.json) out(JSON.stringify(result.runs.map(recordedRunJson), null, 2));
      else out(importTable(result));
      if (result.runs.length === 0) process.exitCode = 1;
    });

  const study = program
    .command('study')
    .description('The study: sweeps run as a resumable queue, cost estimates, and Tables 1–3');
  registerStudyRun(study);
  registerStudyRecommend(study);
  study
    .command('tables')
    .description(
      'Print Table 2 (Execution Time vs Input Partitions) and Table 3 (Lambda Cost Summary) from recorded results',
    )
    .argument('<source>', 'a folder, or s3://bucket/prefix (uses --profile)')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'csv', 'latex', 'json']).default('md'))
    .option('--data <label>', 'only this data label, e.g. total or 1GB')
    .option(
      '--lambda-memory <MB>',
      "configured Lambda memory for the cost (default: the profile's, else 10240 with a note)",
      memoryMb,
    )
    .addOption(new Option('--arch <arch>', 'Lambda architecture for the cost').choices(['x86_64', 'arm64']))
    .option('--profile <name>', 'saved AWS profile: s3:// access, Lambda memory and architecture')
    .action(
      async (
        source: string,
        opts: {
          format: 'md' | 'csv' | 'latex' | 'json';
          data?: string;
          lambdaMemory?: number;
          arch?: 'x86_64' | 'arm64';
          profile?: string;
        },
      ) => {
        const imported = await importFrom(source, opts.profile);
        reportProblems(imported.result);
        const tables = await recordedTables(appDataDir(), imported, {
          dataLabel: opts.data,
          lambdaMemoryMb: opts.lambdaMemory,
          arch: opts.arch,
        });
        if (opts.format === 'json') {
          out(
            JSON.stringify(
              tables.map((t) => JSON.parse(exportTable(t, 'json')) as unknown),
              null,
              2,
            ),
          );
          return;
        }
        const format: ExportFormat = opts.format === 'latex' ? 'tex' : opts.format;
        out(
          tables
            .map((t) => (format === 'csv' ? `# ${t.title}\r\n${exportTable(t, format)}` : exportTable(t, format)))
            .join('\n'),
        );
      },
    );

  study
    .command('report')
    .description(
      'One self-contained HTML report (summary, tables, charts, settings, environment) of a study or of recorded results',
    )
    .argument('<study-or-source>', 'a study id (see `cosmicai study list`), a folder, or s3://bucket/prefix')
    .option('--out <file.html>', 'write here instead of stdout')
    .option('--lambda-memory <MB>', 'Lambda memory for costs not recorded with the runs', memoryMb)
    .addOption(new Option('--arch <arch>', 'Lambda architecture for the cost').choices(['x86_64', 'arm64']))
    .option('--profile <name>', 'saved AWS profile: s3:// access, Lambda memory and architecture')
    .action(
      async (
        arg: string,
        opts: { out?: string; lambdaMemory?: number; arch?: 'x86_64' | 'arm64'; profile?: string },
      ) => {
        const dataDir = appDataDir();
        const cost = { lambdaMemoryMb: opts.lambdaMemory, arch: opts.arch };
        let html: string;
        if (isStudyId(dataDir, arg)) html = await studyIdReportHtml(dataDir, arg, cost);
        else {
          const imported = await importFrom(arg, opts.profile);
          reportProblems(imported.result);
          html = await recordedReportHtml(dataDir, imported, cost);
        }
        if (opts.out) {
          await writeFile(opts.out, html);
          err(`report written to ${opts.out}`);
        } else out(html);
      },
    );
}
