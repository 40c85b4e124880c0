import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { appDataDir } from '../node/services/system.ts';
import {
  compareHistoryPair,
  createStudy,
  driveStudy,
  estimateSweepCost,
  listStudies,
  loadPriceTable,
  loadStudy,
  memorySweepEstimate,
  resetPriceTable,
  savePriceTable,
  studyTableModels,
  type StudyProgress,
  type StudyState,
} from '../node/services/study-foreground.ts';
import { expandSweep, type DataSize, type SweepParamsInput } from '../../base/sweep-plan.ts';
import { formatUsd } from '../../base/cost-model.ts';
import type { PriceTable } from '../../base/price-table.ts';
import { readFile } from 'node:fs/promises';
import { exportTable, type ExportFormat } from '../../base/table.ts';
import { HistoryStore } from '../node/history-store.ts';
import { studyStatus } from '../common/study-status.ts';
import { formatTable } from './local-table.ts';
import { PRECISIONS, type Precision } from '../../base/options.ts';

/** `cosmicai study run|resume|list|show|estimate`: a sweep as a queue in <dataDir>/studies/<id>/study.json. */

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

function numberList(name: string) {
  return (raw: string): number[] => {
    const xs = raw.split(',').map((x) => x.trim());
    if (xs.some((x) => !/^\d+$/.test(x) || Number(x) < 1))
      throw new InvalidArgumentError(`${name} must be whole numbers ≥ 1 separated by commas, got '${raw}'`);
    return xs.map(Number);
  };
}

function dataSizes(raw: string): DataSize[] {
  const xs = raw.split(',').map((x) => x.trim().replace(/GB$/i, ''));
  if (xs.some((x) => x !== 'all' && !(Number(x) > 0)))
    throw new InvalidArgumentError(`data sizes must be GB numbers or "all", e.g. 1,2,4,all; got '${raw}'`);
  return xs.map((x) => (x === 'all' ? 'all' : Number(x)));
}

function sweepList(raw: string): Array<'batch-size' | 'data-size'> {
  const xs = raw.split(',').map((x) => x.trim());
  if (xs.length === 0 || xs.some((x) => x !== 'batch-size' && x !== 'data-size'))
    throw new InvalidArgumentError(`sweeps must be batch-size and/or data-size separated by commas, got '${raw}'`);
  return xs as Array<'batch-size' | 'data-size'>;
}

function whole(name: string) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < 1)
      throw new InvalidArgumentError(`${name} must be a whole number ≥ 1, got '${raw}'`);
    return Number(raw);
  };
}

interface SweepFlags {
  target: 'local' | 'cloud' | 'both';
  sweeps?: Array<'batch-size' | 'data-size'>;
  batchSizes?: number[];
  partitions?: number[];
  dataSizes?: DataSize[];
  worldSizes?: number[];
  repeats?: number;
  data?: string[];
  threads?: number;
  precision?: Precision;
  lambdaMemory: number;
  /** A Lambda memory sweep (cloud jobs): the sizes to set the function to. */
  memory?: number[];
  arch: 'x86_64' | 'arm64';
}

function sweepOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--target <target>', 'where the jobs run').choices(['local', 'cloud', 'both']).default('local'),
    )
    .option('--sweeps <list>', 'which sweeps: batch-size, data-size or both (default both)', sweepList)
    .option('--batch-sizes <list>', 'batch sizes (default 32,64,128,256,512)', numberList('batch sizes'))
    .option(
      '--partitions <list>',
      'partition sizes in MB for the cloud data-size sweep (default 25,50,75,100)',
      numberList('partition sizes'),
    )
    .option('--data-sizes <list>', 'data sizes in GB, or all (default 1,2,4,6,8,10,all)', dataSizes)
    .option('--world-sizes <list>', 'cloud ranks per execution (default: one per partition)', numberList('world sizes'))
    .option('--repeats <n>', 'repeats of every configuration (default 3)', whole('repeats'))
    .option('--data <paths...>', 'local .pt files or folders (default: the bundled sample data)')
    .option('--threads <n>', 'onnxruntime threads for local runs', whole('threads'))
    .option(
      '--memory <list>',
      "Lambda memory sweep: run the cloud jobs at each size in MB (128–10240), e.g. 1024,2048,3008; the function's memory is set before its jobs and restored afterwards",
      numberList('Lambda memory sizes'),
    )
    .option(
      '--lambda-memory <MB>',
      'Lambda memory for the cost estimate (default 10240, as the study used)',
      whole('Lambda memory'),
      10240,
    )
    .addOption(
      new Option('--arch <arch>', 'Lambda architecture for the cost estimate')
        .choices(['x86_64', 'arm64'])
        .default('x86_64'),
    );
}

function paramsOf(f: SweepFlags): SweepParamsInput {
  return {
    target: f.target,
    ...(f.sweeps ? { sweeps: f.sweeps } : {}),
    ...(f.batchSizes ? { batchSizes: f.batchSizes } : {}),
    ...(f.partitions ? { partitionSizesMb: f.partitions } : {}),
    ...(f.dataSizes ? { dataSizesGb: f.dataSizes } : {}),
    ...(f.worldSizes ? { worldSizes: f.worldSizes } : {}),
    ...(f.repeats ? { repeats: f.repeats } : {}),
    ...(f.data ? { localData: f.data.map((d) => path.resolve(d)) } : {}),
    ...(f.threads ? { localThreads: f.threads } : {}),
    ...(f.precision ? { localPrecision: f.precision } : {}),
    ...(f.memory ? { lambdaMemoriesMb: f.memory } : {}),
  };
}

function estimateText(params: SweepParamsInput, f: SweepFlags, prices: PriceTable): string {
  const jobs = expandSweep(params);
  const local = jobs.filter((j) => j.target === 'local').length;
  const lines = [`${jobs.length} job(s): ${local} local, ${jobs.length - local} cloud.`];
  const est = estimateSweepCost(jobs, { lambda: { memoryMb: f.lambdaMemory, arch: f.arch }, prices });
  const byMemory = memorySweepEstimate(jobs, { arch: f.arch, prices });
  if (byMemory) {
    lines.push(byMemory.sentence, '');
    lines.push(
      formatTable(
        ['Lambda memory', 'jobs', 'Lambdas', 'cost'],
        byMemory.sizes.map((m) => [`${m.memoryMb} MB`, String(m.jobs), String(m.lambdas), formatUsd(m.usd)]),
        [false, true, true, true],
      ),
    );
    lines.push(
      '',
      `--lambda-memory (${f.lambdaMemory} MB) is not used for the sweep's jobs: each size is priced at itself.`,
      ...byMemory.notes,
      `Prices as of ${byMemory.priceAsOf}: ${byMemory.priceSource}`,
    );
  } else if (est) {
    lines.push(est.sentence, '');
    lines.push(
      formatTable(
        ['item', 'quantity', 'cost'],
        est.lines.map((l) => [l.item, l.quantity, formatUsd(l.usd)]),
        [false, true, true],
      ),
    );
    lines.push('', ...est.notes, `Prices as of ${est.priceAsOf}: ${est.priceSource}`);
  } else lines.push('No cloud jobs: nothing to pay AWS for.');
  return lines.join('\n');
}

/** Progress on stderr: every job change, and the local run's progress at most every 2 s. */
function progressLogger() {
  let last = 0;
  return (p: StudyProgress) => {
    const now = Date.now();
    if (p.event === 'job-progress' && now - last < 2000) return;
    last = now;
    const done = p.counts.done + p.counts.failed;
    err(`[${done}/${p.total}] ${p.message}`);
  };
}

async function drive(id: string, retryFailed: boolean, profileName?: string): Promise<StudyState> {
  const ac = new AbortController();
  const onSigint = () => {
    err(
      'cancelling after the current batch… (the study resumes with `cosmicai study resume ' +
        id +
        '`; a memory sweep restores the function first)',
    );
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    return await driveStudy(appDataDir(), id, {
      retryFailed,
      profileName,
      several: (names) =>
        `several profiles are saved (${names.join(', ')}): choose one for the cloud jobs with --profile NAME`,
      onNotice: (m) => err(m),
      signal: ac.signal,
      onProgress: progressLogger(),
      onNoProfile: () =>
        err(
          'cloud jobs wait: no AWS profile is saved (add one with `cosmicai profile add NAME …`, then `cosmicai study resume ' +
            id +
            '`)',
        ),
      onCloudEvent: (job, e) => {
        if (e.type === 'started') err(`${job.id}: execution ${e.executionArn}, results in ${e.resultPath}`);
        else if (e.type === 'notice') err(`${job.id}: ${e.message}`);
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function studyTables(state: StudyState, format: ExportFormat | 'text'): string {
  const tables = studyTableModels(state);
  if (tables.length === 0) return 'No finished jobs yet.';
  if (format === 'json')
    return JSON.stringify(
      tables.map((t) => JSON.parse(exportTable(t, 'json')) as unknown),
      null,
      2,
    );
  return tables.map((t) => exportTable(t, format === 'text' ? 'md' : format)).join('\n');
}

function statusLine(state: StudyState): string {
  const c = { pending: 0, running: 0, done: 0, failed: 0 };
  for (const j of state.jobs) c[j.status]++;
  const st = studyStatus({ counts: c, running: false, interrupted: false });
  const word = st.state === 'paused' ? 'not finished' : st.state;
  return `${state.id} "${state.name}": ${c.done} done, ${c.failed} failed, ${c.pending} pending, ${c.running} running of ${state.jobs.length} (${word})`;
}

function failedLines(state: StudyState): string[] {
  return state.jobs.filter((j) => j.status === 'failed').map((j) => `failed ${j.id}: ${j.error}`);
}

const formatOption = () =>
  new Option('--format <format>', 'table format').choices(['md', 'csv', 'latex', 'json']).default('md');
const toExport = (f: string): ExportFormat => (f === 'latex' ? 'tex' : (f as ExportFormat));

export function registerStudyRun(study: Command): void {
  sweepOptions(
    study.command('estimate').description('How many jobs and Lambdas a sweep makes, and what its cloud part costs'),
  ).action(async (f: SweepFlags) => {
    out(estimateText(paramsOf(f), f, (await loadPriceTable(appDataDir())).table));
  });

  study
    .command('prices')
    .description('The price table the cost model uses: its source, date and file; --set FILE to edit it')
    .option('--json', 'print the table as JSON (a starting point for --set)')
    .option('--set <file>', 'use this JSON price table from now on (checked first)')
    .option('--reset', 'go back to the default prices')
    .action(async (f: { json?: boolean; set?: string; reset?: boolean }) => {
      const dataDir = appDataDir();
      if (f.reset) await resetPriceTable(dataDir);
      if (f.set) {
        let json: unknown;
        try {
          json = JSON.parse(await readFile(f.set, 'utf8'));
        } catch (e) {
          throw new Error(`${f.set}: ${(e as Error).message}`, { cause: e });
        }
        await savePriceTable(dataDir, json, f.set);
      }
      const { table: p, custom, file } = await loadPriceTable(dataDir);
      if (f.json) {
        out(JSON.stringify(p, null, 2));
        return;
      }
      const tiers = (arch: 'x86_64' | 'arm64') =>
        p.lambda.computeTiers[arch]
          .map((t) => `$${t.usdPerGbSecond}${t.upToGbSeconds === null ? '' : ` to ${t.upToGbSeconds / 1e9}e9`}`)
          .join(', ');
      out(
        [
          formatTable(
            ['item', 'price (USD)'],
            [
              ['Lambda compute x86_64, per GB-s (monthly tiers)', tiers('x86_64')],
              ['Lambda compute arm64, per GB-s (monthly tiers)', tiers('arm64')],
              ['Lambda requests, per million', String(p.lambda.usdPerMillionRequests)],
              [
                `Ephemeral storage above ${p.lambda.freeEphemeralMb} MB, per GB-s`,
                String(p.lambda.usdPerEphemeralGbSecond),
              ],
              [
                'Step Functions standard transitions, per 1,000',
                String(p.stepFunctions.usdPerThousandStandardTransitions),
              ],
              ['S3 PUT/COPY/POST/LIST, per 1,000', String(p.s3.usdPerThousandWrites)],
              ['S3 GET, per 1,000', String(p.s3.usdPerThousandReads)],
            ],
            [false, false],
          ),
          '',
          `Region ${p.region}, as of ${p.asOf}. Source: ${p.source}`,
          custom
            ? `Your prices, from ${file}.`
            : `Default prices. To change them: cosmicai study prices --json > prices.json, edit, then --set prices.json (kept in ${file}).`,
        ].join('\n'),
      );
    });

  sweepOptions(
    study
      .command('run')
      .description(
        'Create a study from sweep parameters and run it: local jobs here, cloud jobs on the profile state machine (Ctrl-C cancels; resume later)',
      ),
  )
    .addOption(
      new Option(
        '--precision <p>',
        "precision of the local jobs: fp32 (default), or int8 (the model's quantized copy)",
      ).choices([...PRECISIONS]),
    )
    .option('--name <name>', 'a name for the study')
    .option('--profile <name>', 'AWS profile for the cloud jobs (default: the only saved one)')
    .addOption(formatOption())
    .action(async (f: SweepFlags & { name?: string; format: string; profile?: string }) => {
      if (f.precision && f.target === 'cloud')
        throw new Error(
          '--precision sets the precision of local jobs, and --target cloud has none (cloud runs are fp32): drop --precision or use --target local|both',
        );
      const params = paramsOf(f);
      err(estimateText(params, f, (await loadPriceTable(appDataDir())).table));
      const created = await createStudy(appDataDir(), params, f.name);
      err(`study ${created.id} created: ${created.jobs.length} job(s)`);
      const state = await drive(created.id, false, f.profile);
      for (const l of failedLines(state)) err(l);
      (f.format === 'json' ? err : out)(statusLine(state));
      out(studyTables(state, toExport(f.format)));
      if (state.jobs.some((j) => j.status === 'failed')) process.exitCode = 1;
    });

  study
    .command('resume')
    .description("Run a study's pending jobs (and interrupted ones) again")
    .argument('<id>', 'study id (see `cosmicai study list`)')
    .option('--retry-failed', 'queue failed jobs again too')
    .option('--profile <name>', 'AWS profile for the cloud jobs (default: the only saved one)')
    .addOption(formatOption())
    .action(async (id: string, f: { retryFailed?: boolean; format: string; profile?: string }) => {
      const state = await drive(id, !!f.retryFailed, f.profile);
      for (const l of failedLines(state)) err(l);
      (f.format === 'json' ? err : out)(statusLine(state));
      out(studyTables(state, toExport(f.format)));
      if (state.jobs.some((j) => j.status === 'failed')) process.exitCode = 1;
    });

  study
    .command('list')
    .description('Studies in the data folder, newest first')
    .action(async () => {
      const all = await listStudies(appDataDir());
      if (all.length === 0) {
        out('No studies yet: start one with `cosmicai study run`.');
        return;
      }
      out(
        formatTable(
          ['id', 'name', 'done', 'failed', 'pending', 'updated'],
          all.map((s) =>
            'problem' in s
              ? [s.id, `damaged: ${s.problem}`, '', '', '', '']
              : [
                  s.id,
                  s.name,
                  String(s.counts.done),
                  String(s.counts.failed),
                  String(s.counts.pending + s.counts.running),
                  s.updatedAt,
                ],
          ),
          [false, false, true, true, true, false],
        ),
      );
    });

  study
    .command('compare')
    .description('Two runs from History side by side (local vs cloud, or any two), with notes')
    .argument('<a>', 'History run id (a unique prefix, "latest" or a unique name also work)')
    .argument('<b>', 'History run id (a unique prefix, "latest" or a unique name also work)')
    .addOption(formatOption())
    .action(async (a: string, b: string, f: { format: string }) => {
      const history = new HistoryStore(appDataDir());
      const c = await compareHistoryPair(history, a, b);
      if (f.format === 'json') {
        const table = JSON.parse(exportTable(c.table, 'json')) as Record<string, unknown>;
        out(JSON.stringify({ ...table, comparable: c.comparable, warnings: c.warnings }, null, 2));
      } else {
        out(exportTable(c.table, toExport(f.format)));
        if (!c.comparable) err(`not like with like: ${c.warnings.join('; ')}`);
      }
    });

  study
    .command('show')
    .description("A study's job statuses and its tables so far")
    .argument('<id>', 'study id')
    .addOption(formatOption())
    .action(async (id: string, f: { format: string }) => {
      const state = await loadStudy(appDataDir(), id);
      const info = f.format === 'json' ? err : out;
      info(statusLine(state));
      for (const l of failedLines(state)) info(l);
      out(studyTables(state, toExport(f.format)));
    });
}
