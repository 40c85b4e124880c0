import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { runLocal, LocalRunError } from '../../engine/run/local-run.ts';
import { prepareRun } from '../../engine/run/prepare-run.ts';
import { runInWorker } from '../../engine/run/worker-run.ts';
import { StartedWorker } from '../../engine/run/worker-start.ts';
import { LocalRunRecordSchema } from '../../base/local-run-record.ts';
import { FIXTURES, referenceModel } from '../support/engine-run-helpers.ts';

/** The inference worker started while the run is prepared (worker-start.ts), and the startup it records. */

const tiny = path.join(FIXTURES, 'tiny-8.pt');
let model: string;
beforeAll(async () => {
  model = await referenceModel();
});

describe('the early-started inference worker', () => {
  it('runs the run it is handed and records its startup within the wall time', async () => {
    const { record, predictions } = await runLocal({ data: tiny, model, batchSize: 4, threads: 1 });
    expect(record.status).toBe('completed');
    expect(predictions).toHaveLength(8);
    expect(LocalRunRecordSchema.parse(record)).toEqual(record);
    // Startup ends when the session is ready: it contains session creation and precedes the batches.
    expect(record.startup_seconds).toBeGreaterThanOrEqual(record.session_seconds);
    expect(record.startup_seconds! + record.inference_seconds).toBeLessThanOrEqual(record.wall_seconds);
    expect(record.metricDefinitions.startup_seconds).toMatch(/inference session being ready/);
  });

  it('a failed preparation rejects with its own error and ends the started thread', async () => {
    const exits: number[] = [];
    const original = StartedWorker.prototype.discard;
    StartedWorker.prototype.discard = function (this: StartedWorker) {
      this.worker.once('exit', (code) => exits.push(code));
      return original.call(this);
    };
    try {
      const err = await runLocal({ data: path.join(FIXTURES, 'no-such.pt'), model, batchSize: 4 }).catch((e) => e);
      expect(err).not.toBeInstanceOf(LocalRunError);
      expect(String(err)).toMatch(/no-such\.pt/);
    } finally {
      StartedWorker.prototype.discard = original;
    }
    expect(exits).toHaveLength(1);
  });

  it('a worker that ended before the run took it over fails the run with a worker error, not a hang', async () => {
    const early = new StartedWorker();
    const prepared = await prepareRun({ data: tiny, model, batchSize: 4, threads: 1 });
    await early.worker.terminate();
    const err = await runInWorker(prepared, {}, early).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalRunError);
    expect((err as LocalRunError).code).toBe('worker');
    expect((err as LocalRunError).message).toMatch(/exited unexpectedly \(exit code 1\)/);
    expect(early.worker.threadId).toBe(-1);
  });

  it('keeps what ended the thread before the take-over and sends no settings to a dead thread', async () => {
    const early = new StartedWorker();
    const code = await early.worker.terminate();
    const prepared = await prepareRun({ data: tiny, model, batchSize: 4, threads: 1 });
    expect(early.takeOver(prepared.init)).toEqual({ error: null, exitCode: code });
    const alive = new StartedWorker();
    try {
      expect(alive.takeOver(prepared.init)).toBeNull();
    } finally {
      await alive.discard();
    }
  });
});
