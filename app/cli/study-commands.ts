import { Command, InvalidArgumentError, Option } from 'commander';
import { appDataDir } from '../../engine/data-dir.ts';
import { table2, table3 } from '../../study/tables.ts';
import { makeClients } from '../../cloud/aws-clients.ts';
import { ProfileStore } from '../../cloud/profiles.ts';
import type { StoredProfile } from '../../base/profile-schema.ts';
import { folderSource, s3Source, type ObjectSource } from '../../study/import/object-source.ts';
import {
  importRecordedRuns,
  measurementFromRecorded,
  recordedRunJson,
  type ImportResult,
} from '../../study/import/recorded-runs.ts';
import { exportTable, type ExportFormat } from '../../base/table.ts';
import { HistoryStore } from '../node/history-store.ts';
import { saveRecordedRuns } from '../node/recorded-import.ts';
import { formatTable } from './local-table.ts';
import { loadPriceTable } from '../../study/cost/price-store.ts';
import { writeFile } from 'node:fs/promises';
import { hostInfo } from '../../engine/run/host-info.ts';
import { studyReportHtml } from '../../study/report-html.ts';
import { loadStudy, studyFile, studyMeasurements } from '../../study/study-store.ts';
import { existsSync } from 'node:fs';
import { registerStudyRun } from './study-run-commands.ts';
import { registerStudyRecommend } from './study-recommend-command.ts';
import { sortedLabels, sortedNumbers } from '../common/report-settings.ts';
import { CPU_MEMORY, CPU_TIME } from '../../base/metric-keys.ts';

/** `cosmicai import SOURCE` and `cosmicai study tables SOURCE`: recorded study results, from a folder or s3://bucket/prefix. */

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

async function profileFor(name: string | undefined): Promise<StoredProfile> {
  const store = new ProfileStore(appDataDir());
  if (name) return store.getStored(name);
  const all = await store.list();
  if (all.length === 1) return store.getStored(all[0].name);
  throw new Error(
    all.length
      ? `several profiles are saved (${all.map((p) => p.name).join(', ')}): choose one with --profile NAME`
      : 'reading s3:// needs a saved profile: add one with `cosmicai profile add NAME …`',
  );
}

/** Imports from a folder or an s3:// URL; the profile is only needed (and loaded) for S3. */
async function importFrom(
  source: string,
  profileName: string | undefined,
): Promise<{ result: ImportResult; profile: StoredProfile | null }> {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(source);
  if (!s3)
    return {
      result: await importRecordedRuns(folderSource(source)),
      profile: profileName ? await profileFor(profileName) : null,
    };
  const profile = await profileFor(profileName);
  const clients = makeClients(profile);
  try {
    const src: ObjectSource = s3Source(clients.s3, s3[1], s3[2]);
    return { result: await importRecordedRuns(src), profile };
  } finally {
    clients.destroy();
  }
}

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
        const { result, profile } = await importFrom(source, opts.profile);
        reportProblems(result);
        const lambdaMemoryMb = opts.lambdaMemory ?? profile?.lambdaMemoryMb;
        const runs = result.runs.map((r) => measurementFromRecorded(r, lambdaMemoryMb));
        const filter = opts.data !== undefined ? { dataLabel: opts.data } : {};
        const { table: prices } = await loadPriceTable(appDataDir());
        const tables = [
          table2(runs, filter),
          table3(runs, { ...filter, arch: opts.arch ?? profile?.architecture ?? 'x86_64', prices }),
        ];
        if (tables[0].rows.length === 0) {
          const labels = [...new Set(result.runs.filter((r) => r.sweep === 'data-size').map((r) => r.data_label))];
          throw new Error(
            opts.data !== undefined
              ? `no data-size runs with data label "${opts.data}"; the labels found are: ${labels.join(', ') || 'none'}`
              : `no data-size runs in ${result.from} (only Batches runs?)`,
          );
        }
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
        const { table: prices } = await loadPriceTable(dataDir);
        const h = hostInfo();
        const environment: Array<[string, string]> = [
          [
            'Report made on',
            `${h.cpuModel}, ${h.physicalCores} cores (${h.logicalCores} logical), ${(h.ramBytes / 2 ** 30).toFixed(1)} GB RAM`,
          ],
          ['System', `${h.os} ${h.arch}, Node ${h.node}, onnxruntime ${h.onnxruntime}`],
        ];
        let html: string;
        if (/^[A-Za-z0-9._-]+$/.test(arg) && existsSync(studyFile(dataDir, arg))) {
          const state = await loadStudy(dataDir, arg);
          const p = state.params;
          const counts = state.jobs.reduce<Record<string, number>>(
            (c, j) => ({ ...c, [j.status]: (c[j.status] ?? 0) + 1 }),
            {},
          );
          html = studyReportHtml({
            title: state.name,
            source: `Study ${state.id}: ${Object.entries(counts)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ')} of ${state.jobs.length} jobs`,
            runs: studyMeasurements(state),
            prices,
            costOptions: { lambdaMemoryMb: opts.lambdaMemory, arch: opts.arch },
            settings: [
              ['Target', p.target],
              ['Sweeps', p.sweeps.join(', ')],
              ['Batch sizes', sortedNumbers(p.batchSizes)],
              ['Partition sizes (MB)', sortedNumbers(p.partitionSizesMb)],
              ['Data sizes (GB)', p.dataSizesGb.join(', ')],
              ['World sizes', p.worldSizes.map((w) => w ?? 'one per partition').join(', ')],
              ['Repeats', String(p.repeats)],
              ['Local data', p.localData?.join(', ') ?? 'the bundled synthetic sample data'],
            ],
            environment,
          });
        } else {
          const { result, profile } = await importFrom(arg, opts.profile);
          reportProblems(result);
          const lambdaMemoryMb = opts.lambdaMemory ?? profile?.lambdaMemoryMb;
          html = studyReportHtml({
            title: 'Recorded study results',
            source:
              `Recorded results from ${result.from}` +
              (result.problems.length ? ` (${result.problems.length} file(s) skipped)` : ''),
            runs: result.runs.map((r) => measurementFromRecorded(r, lambdaMemoryMb)),
            prices,
            costOptions: { lambdaMemoryMb, arch: opts.arch ?? profile?.architecture },
            settings: [
              ['Partition sizes (MB)', sortedNumbers(result.runs.map((r) => r.partition_mb))],
              ['Data labels', sortedLabels(result.runs.map((r) => r.data_label))],
              ['Batch sizes', sortedNumbers(result.runs.map((r) => r.batch_size))],
              ['Lambda memory', lambdaMemoryMb ? `${lambdaMemoryMb} MB` : 'not recorded (10240 MB assumed for cost)'],
            ],
            environment,
          });
        }
        if (opts.out) {
          await writeFile(opts.out, html);
          err(`report written to ${opts.out}`);
        } else out(html);
      },
    );
}
