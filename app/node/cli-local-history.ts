import path from 'node:path';
import type { LocalRunResult } from '../../engine/run/local-run.ts';
import { writePredictionsCsv } from '../../engine/run/predictions.ts';
import type { ApiErrorData } from '../common/contract/index.ts';
import type { HistoryStore } from './history-store.ts';
import { defaultName, headlineOf, startHeadline } from './services/local-runs.ts';

export interface CliLocalParams {
  data?: string[];
  model?: string;
  batchSize: number;
  threads?: number;
  graphOptimization?: string;
  precision?: 'fp32' | 'int8';
}

/**
 * A `cosmicai local` run goes to History like a run started in the app: listed as "running" when it starts (so a
 * killed CLI leaves it "interrupted"), finalised with the record, partitions and predictions at the end.
 */
export class CliLocalHistory {
  private constructor(
    private readonly store: HistoryStore,
    readonly id: string,
  ) {}

  static async start(store: HistoryStore, p: CliLocalParams): Promise<CliLocalHistory> {
    const precision = p.precision ?? 'fp32';
    const model = p.model ? path.resolve(p.model) : undefined;
    const data = p.data?.length ? p.data.map((d) => path.resolve(d)) : undefined;
    const entry = await store.create({
      kind: 'local',
      name: defaultName(model, data, p.batchSize, precision),
      params: {
        model,
        data,
        batchSize: p.batchSize,
        threads: p.threads,
        graphOptimization: p.graphOptimization,
        precision,
        via: 'cli',
      },
      headline: startHeadline(model, data, p.batchSize, precision),
    });
    return new CliLocalHistory(store, entry.id);
  }

  async finish(res: LocalRunResult, status: 'completed' | 'cancelled' | 'failed' = res.record.status): Promise<void> {
    const r = res.record;
    const error: ApiErrorData | null = r.error
      ? { code: status === 'failed' ? 'run-failed' : 'partial', message: r.error }
      : null;
    await this.store.finish(this.id, {
      status,
      record: r,
      partitions: r.partitions,
      writePredictions: res.table.length > 0 ? (f) => writePredictionsCsv(f, res.table) : undefined,
      headline: headlineOf(res),
      error,
    });
  }

  /** Nothing ran (bad model, unreadable data): no entry to keep, as in the app. */
  async discard(): Promise<void> {
    await this.store.delete(this.id).catch(() => undefined);
  }
}
