// One engine configuration in its own process, so its peak RSS is its own: `npm run bench` spawns this per config.
//   node bin/run-ts.mjs bench/engine-once.ts --model FILE --batch-size N --threads N [--precision int8] [--z-out FILE]
//     [--spinning] [--tune auto [--data-dir DIR]] DATA...
// Prints the run record (without definitions and host) plus `first_batch_seconds`: from the runLocal call to the
// first finished batch (model read, session creation, first partition read and parse, one batch).
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { runLocal } from '../engine/run/local-run.ts';

const { values, positionals } = parseArgs({
  options: {
    model: { type: 'string' },
    'batch-size': { type: 'string' },
    threads: { type: 'string' },
    precision: { type: 'string' },
    spinning: { type: 'boolean', default: false },
    tune: { type: 'string' },
    'data-dir': { type: 'string' },
    'z-out': { type: 'string' },
  },
  allowPositionals: true,
});
const t0 = performance.now();
let firstBatchSeconds: number | null = null;
const { record, table } = await runLocal(
  {
    data: positionals,
    model: values.model,
    batchSize: Number(values['batch-size']),
    threads: values.threads === undefined ? undefined : Number(values.threads),
    precision: (values.precision ?? 'fp32') as 'fp32' | 'int8',
    // Given only with --spinning, so host tuning (--tune auto) may choose it otherwise.
    spinning: values.spinning ? true : undefined,
    tune: values.tune as 'auto' | 'off' | undefined,
    dataDir: values['data-dir'],
  },
  {
    onProgress: (p) => {
      if (firstBatchSeconds === null && p.batchesDone >= 1) firstBatchSeconds = (performance.now() - t0) / 1000;
    },
  },
);
// The predictions as raw little-endian float32, for the bench's int8-vs-fp32 |Δz|.
if (values['z-out'])
  await writeFile(values['z-out'], new Uint8Array(table.zPred.buffer, table.zPred.byteOffset, table.zPred.byteLength));
const { metricDefinitions: _defs, host: _host, ...rest } = record;
process.stdout.write(JSON.stringify({ ...rest, first_batch_seconds: firstBatchSeconds }) + '\n');
