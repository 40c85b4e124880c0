import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeClients } from '../../../../cloud/aws-clients.ts';
import type { ProfileStore } from '../../../../cloud/profiles.ts';
import type { SecretCipher } from '../../../../cloud/secret-cipher.ts';
import { CPU_MEMORY, CPU_TIME } from '../../../../base/metric-keys.ts';
import { folderSource, s3Source } from '../../../../study/import/object-source.ts';
import { importRecordedRuns, type ImportResult } from '../../../../study/import/recorded-runs.ts';
import { ApiError, type ImportView } from '../../../common/contract/index.ts';
import type { HistoryStore } from '../../history-store.ts';
import { saveRecordedRuns } from '../../recorded-import.ts';
import { expandHome } from '../system.ts';
import { fail, profileFor } from './shared.ts';

export interface ImportDeps {
  store: HistoryStore;
  profiles: ProfileStore;
  cipher?: SecretCipher;
}

/** Imports the study's recorded runs from a folder or s3:// prefix into History, each once. */
export async function importRecorded(
  deps: ImportDeps,
  source: string,
  profileName?: string,
  opts: { example?: boolean } = {},
): Promise<ImportView> {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(source);
  let result: ImportResult;
  try {
    if (!s3) {
      const dir = path.resolve(expandHome(source));
      if (!existsSync(dir))
        throw new ApiError({
          code: 'NOT_FOUND',
          message: `The folder ${dir} does not exist.`,
          file: dir,
          hint: 'Pick the folder that holds result-partition-<P>MB folders.',
        });
      result = await importRecordedRuns(folderSource(dir));
    } else {
      const clients = makeClients((await profileFor(deps.profiles, profileName, true))!, { cipher: deps.cipher });
      try {
        result = await importRecordedRuns(s3Source(clients.s3, s3[1], s3[2]));
      } finally {
        clients.destroy();
      }
    }
  } catch (err) {
    throw fail('IMPORT_FAILED', err);
  }
  if (result.runs.length === 0)
    throw new ApiError({
      code: 'NOTHING_FOUND',
      message:
        `No recorded runs in ${result.from}` +
        (result.problems.length
          ? `: ${result.problems.length} file(s) could not be read (${result.problems[0].source}: ${result.problems[0].problem})`
          : '.'),
      hint: 'The folder should hold result-partition-<P>MB/<data>/<run>/combined_data.json (or …/Batches/<batch>/<run>/…).',
    });
  const { saved, existing } = await saveRecordedRuns(deps.store, result, opts);
  const ids = new Map<string, { runId: string; added: boolean }>();
  for (const s of saved) ids.set(s.source, { runId: s.runId, added: true });
  for (const s of existing) ids.set(s.source, { runId: s.runId, added: false });
  return {
    from: result.from,
    runs: result.runs.map((r) => ({
      ...ids.get(r.source)!,
      source: r.source,
      partitionMb: r.partition_mb,
      dataLabel: r.data_label,
      sweep: r.sweep,
      batchSize: r.batch_size,
      repeat: r.repeat,
      ranks: r.ranks,
      cpuTimeSeconds: r[CPU_TIME],
      memoryMb: r[CPU_MEMORY],
      throughputMbps: r.throughput_bps / 1e6,
    })),
    problems: result.problems.map((p) => ({ source: p.source, problem: p.problem })),
    ignored: result.ignored,
    ...(opts.example ? { example: true } : {}),
  };
}
