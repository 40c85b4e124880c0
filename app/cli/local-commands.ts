import { Command, InvalidArgumentError, Option } from 'commander';
import {
  CliLocalHistory,
  LocalRunError,
  runLocalEngine,
  writePredictions,
  writeRunRecordJson,
  type LocalEngine,
  type LocalRunResult,
} from '../node/services/local-foreground.ts';
import { formatLocalRun, formatProgress } from './local-table.ts';
import { appDataDir } from '../node/services/system.ts';
import { HistoryStore } from '../node/history-store.ts';
import {
  DEFAULT_BATCH_SIZE,
  GRAPH_OPTIMIZATIONS,
  PRECISIONS,
  type GraphOptimization,
  type Precision,
} from '../../base/options.ts';
import { TUNE_MODES, type TuneMode } from '../../base/tuning-record.ts';

function wholeNumber(name: string) {
  return (raw: string): number => {
    if (!/^\s*\d+\s*$/.test(raw)) throw new InvalidArgumentError(`${name} must be a whole number, got '${raw}'`);
    return Number(raw);
  };
}

interface LocalFlags {
  data?: string[];
  model?: string;
  batchSize?: number;
  threads?: number;
  graphOptimization?: GraphOptimization;
  precision?: Precision;
  tune?: TuneMode;
  int8Gelu?: 'tanh' | 'erf';
  engine?: LocalEngine;
  code?: string;
  python?: string;
  /** --no-profiler sets this false. */
  profiler?: boolean;
  predictions?: string;
  json?: string;
  /** false with --no-save: the run is not added to History. */
  save?: boolean;
}

/** Progress on stderr: one rewritten line on a terminal; otherwise a line per phase change and every few seconds. */
function progressPrinter() {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let lastStep = '';
  let shown = false;
  return {
    update(line: string, step: string) {
      const now = Date.now();
      if (tty) {
        if (now - last < 100) return;
        process.stderr.write(`\r\x1b[2K${line}`);
        shown = true;
      } else {
        if (now - last < 5000 && step === lastStep) return;
        process.stderr.write(line + '\n');
      }
      last = now;
      lastStep = step;
    },
    end() {
      if (tty && shown) process.stderr.write('\r\x1b[2K');
    },
  };
}

async function writeOutputs(result: LocalRunResult, flags: LocalFlags): Promise<void> {
  if (flags.json) {
    await writeRunRecordJson(flags.json, result);
    process.stderr.write(`run record written to ${flags.json}\n`);
  }
  if (flags.predictions) {
    const rows = await writePredictions(flags.predictions, result);
    process.stderr.write(`${rows} prediction(s) written to ${flags.predictions}\n`);
  }
}

async function local(flags: LocalFlags): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.stderr.write('\nstopping now\n');
      process.exit(130);
    }
    process.stderr.write('\ncancelling after the current batch (Ctrl-C again to stop at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = progressPrinter();
  const saved =
    flags.save === false
      ? null
      : await CliLocalHistory.start(new HistoryStore(appDataDir()), {
          ...flags,
          batchSize: flags.batchSize ?? DEFAULT_BATCH_SIZE,
        });
  let result: LocalRunResult;
  try {
    result = await runLocalEngine(
      {
        engine: flags.engine,
        code: flags.code,
        python: flags.python,
        noProfiler: flags.profiler === false,
        data: flags.data,
        model: flags.model,
        batchSize: flags.batchSize,
        threads: flags.threads,
        graphOptimization: flags.graphOptimization,
        precision: flags.precision,
        tune: flags.tune,
        int8Gelu: flags.int8Gelu,
      },
      { signal: controller.signal, onProgress: (p) => progress.update(formatProgress(p), `${p.partition}:${p.phase}`) },
    );
  } catch (err) {
    progress.end();
    if (err instanceof LocalRunError && err.partial) {
      process.stdout.write(formatLocalRun(err.partial.record));
      await writeOutputs(err.partial, flags);
      await saved?.finish(err.partial, 'failed');
      if (saved) process.stderr.write(`saved in History as ${saved.id} (failed)\n`);
    } else await saved?.discard();
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  progress.end();
  process.stdout.write(formatLocalRun(result.record));
  await writeOutputs(result, flags);
  if (saved) {
    await saved.finish(result);
    process.stderr.write(`saved in History as ${saved.id} (see \`cosmicai history show ${saved.id}\`)\n`);
  }
  if (result.record.status === 'cancelled') process.exitCode = 130;
  else if (result.record.status === 'failed') process.exitCode = 1;
}

export function register(program: Command): void {
  program
    .command('local')
    .description(
      'run the model on the CPU over .pt partitions and print the study metrics (default: reference model on synthetic sample data)',
    )
    .option('--data <path...>', '.pt partition files and/or folders of them (default: bundled synthetic sample data)')
    .option(
      '--model <file>',
      'ONNX model with image [B,5,32,32] and magnitude [B,5] inputs (default: reference AstroMAE); with --engine pytorch, the checkpoint .pt',
    )
    .option(
      '--batch-size <n>',
      `galaxies per batch (default ${DEFAULT_BATCH_SIZE}, as in the study)`,
      wholeNumber('--batch-size'),
    )
    .option('--threads <n>', 'onnxruntime intra-op threads (default: physical cores)', wholeNumber('--threads'))
    .addOption(
      new Option('--graph-optimization <level>', 'onnxruntime graph optimisation level').choices([
        ...GRAPH_OPTIMIZATIONS,
      ]),
    )
    .addOption(
      new Option(
        '--precision <p>',
        'fp32 (default), or int8: MatMul/Gemm weights quantized per channel, cached beside the model',
      ).choices([...PRECISIONS]),
    )
    .addOption(
      new Option(
        '--int8-gelu <form>',
        'with --precision int8: tanh (default; 1–11% less CPU on AVX2, accuracy within budget) or erf (exact form)',
      ).choices(['tanh', 'erf']),
    )
    .addOption(
      new Option(
        '--tune <mode>',
        'off (default): fixed settings; auto: pick threads (unless --threads), galaxies per run and spinning by a ' +
          'few-second calibration on this host and model, cached per host, model and precision',
      ).choices([...TUNE_MODES]),
    )
    .addOption(
      new Option(
        '--engine <engine>',
        "onnxruntime (default), or pytorch: a whole-model checkpoint run by --python as the study's script runs it",
      ).choices(['onnxruntime', 'pytorch']),
    )
    .option(
      '--code <dir>',
      "pytorch: the model's code folder, put on sys.path before loading (default: the checkpoint's folder)",
    )
    .option('--python <program>', 'pytorch: the Python interpreter that has torch (default python3)')
    .option('--no-profiler', 'pytorch: skip the torch profiler (no study profiler fields, no profiler overhead)')
    .option('--predictions <file.csv>', 'write every prediction as CSV: index,partition,z_true,z_pred')
    .option('--json <file>', 'write the run record as JSON')
    .option('--no-save', 'do not add the run to History')
    .action(async (flags: LocalFlags) => {
      await local(flags);
    });
}
