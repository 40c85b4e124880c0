// One engine configuration in its own process, so its peak RSS is its own: `npm run bench` spawns this per config.
//   node bin/run-ts.mjs bench/engine-once.ts --model FILE --batch-size N --threads N DATA...
import { parseArgs } from 'node:util';
import { runLocal } from '../engine/run/local-run.ts';

const { values, positionals } = parseArgs({
  options: { model: { type: 'string' }, 'batch-size': { type: 'string' }, threads: { type: 'string' } },
  allowPositionals: true,
});
const { record } = await runLocal({
  data: positionals,
  model: values.model,
  batchSize: Number(values['batch-size']),
  threads: Number(values.threads),
});
const { metricDefinitions: _defs, host: _host, ...rest } = record;
process.stdout.write(JSON.stringify(rest) + '\n');
