import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../engine/atomic-file.ts';
import { withFileLock } from '../engine/file-lock.ts';
import { z } from 'zod';
import type { StudyMeasurement } from './measurement.ts';
import { expandSweep, SweepParamsSchema, type StudyJob, type SweepParamsInput } from '../base/sweep-plan.ts';
import { currentProcessIdentity, ownerAlive, type ProcessIdentity } from '../engine/pid-alive.ts';
import { PrecisionSchema } from '../base/options.ts';

/**
 * A study's queue on disk: `<dataDir>/studies/<id>/study.json`, rewritten atomically (temp file + rename) after
 * every job change, so a crash leaves the previous or the next state, never half of one. A job found "running"
 * when a study is opened again was interrupted (the app stopped mid-run); `resumeStudy` puts it back to pending.
 */

export const JOB_STATUSES = ['pending', 'running', 'done', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const MeasurementSchema = z.object({
  id: z.string(),
  target: z.enum(['local', 'cloud']),
  sweep: z.enum(['batch-size', 'data-size']).optional(),
  batchSize: z.number(),
  partitionMb: z.number().nullable(),
  dataLabel: z.string().nullable(),
  repeat: z.number(),
  ranks: z.number(),
  invocations: z.number().optional(),
  secondsPerBatch: z.number(),
  throughputBps: z.number(),
  memoryMb: z.number(),
  cpuTimeSeconds: z.number(),
  samplesPerSec: z.number(),
  totalBits: z.number(),
  rankSecondsTotal: z.number(),
  rankSecondsSource: z.enum(['billed', 'cpu-time']),
  executionSeconds: z.number().optional(),
  lambdaMemoryMb: z.number().optional(),
  lambdaMemorySource: z.enum(['report', 'profile', 'configured']).optional(),
  lambdaMemoryNote: z.string().optional(),
  precision: PrecisionSchema.optional(),
}) satisfies z.ZodType<StudyMeasurement>;

const JobStateSchema = z.object({
  id: z.string(),
  target: z.enum(['local', 'cloud']),
  sweep: z.enum(['batch-size', 'data-size']),
  batchSize: z.number().int().positive(),
  partitionMb: z.number().nullable(),
  dataLabel: z.string().nullable(),
  worldSize: z.number().int().positive().nullable(),
  /** Memory sweeps: the function's memory for this job (absent in studies made before the axis existed). */
  lambdaMemoryMb: z.number().int().positive().nullable().default(null),
  repeat: z.number().int().positive(),
  status: z.enum(JOB_STATUSES),
  /** Times the job was started; more than one after an interruption or a retry. */
  attempts: z.number().int().nonnegative(),
  /** The run in History that produced the result. */
  runId: z.string().nullable(),
  error: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  result: MeasurementSchema.nullable(),
});
export type JobState = z.infer<typeof JobStateSchema>;

export const StudyStateSchema = z.object({
  schema: z.literal('cosmicai.study/1'),
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  params: SweepParamsSchema,
  jobs: z.array(JobStateSchema),
});
export type StudyState = z.infer<typeof StudyStateSchema>;

export const studiesDir = (dataDir: string): string => path.join(dataDir, 'studies');
export const studyFile = (dataDir: string, id: string): string => path.join(studiesDir(dataDir), id, 'study.json');

export async function saveStudy(dataDir: string, state: StudyState): Promise<void> {
  state.updatedAt = new Date().toISOString();
  await writeFileAtomic(studyFile(dataDir, state.id), JSON.stringify(state, null, 2) + '\n', { mkdir: true });
}

const newStudyId = (now: Date) =>
  `study-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;

export async function createStudy(dataDir: string, params: SweepParamsInput, name?: string): Promise<StudyState> {
  const now = new Date();
  const parsed = SweepParamsSchema.parse(params);
  const jobs = expandSweep(parsed).map((j: StudyJob): JobState => ({
    ...j,
    status: 'pending',
    attempts: 0,
    runId: null,
    error: null,
    startedAt: null,
    finishedAt: null,
    result: null,
  }));
  const id = newStudyId(now);
  const state: StudyState = {
    schema: 'cosmicai.study/1',
    id,
    name: name ?? `Study ${now.toISOString().slice(0, 16).replace('T', ' ')}`,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    params: parsed,
    jobs,
  };
  await saveStudy(dataDir, state);
  return state;
}

export async function loadStudy(dataDir: string, id: string): Promise<StudyState> {
  const file = studyFile(dataDir, id);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`no study "${id}": ${file} does not exist`, { cause: err });
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); the study cannot be resumed`, {
      cause: err,
    });
  }
  const parsed = StudyStateSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${file} is not a study file: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  return parsed.data;
}

export interface StudySummary {
  id: string;
  name: string;
  updatedAt: string;
  counts: Record<JobStatus, number>;
}

export function countJobs(state: StudyState): Record<JobStatus, number> {
  const counts: Record<JobStatus, number> = { pending: 0, running: 0, done: 0, failed: 0 };
  for (const j of state.jobs) counts[j.status]++;
  return counts;
}

/** Every study in the data folder, newest first; unreadable ones are listed with the problem instead. */
export async function listStudies(dataDir: string): Promise<Array<StudySummary | { id: string; problem: string }>> {
  let names: string[];
  try {
    names = await readdir(studiesDir(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Array<StudySummary | { id: string; problem: string }> = [];
  for (const id of names) {
    try {
      const s = await loadStudy(dataDir, id);
      out.push({ id: s.id, name: s.name, updatedAt: s.updatedAt, counts: countJobs(s) });
    } catch (err) {
      out.push({ id, problem: (err as Error).message });
    }
  }
  return out.sort((a, b) => ('updatedAt' in b ? b.updatedAt : '').localeCompare('updatedAt' in a ? a.updatedAt : ''));
}

/**
 * Makes a loaded study ready to run again: jobs left "running" were interrupted and go back to pending, with a
 * note in `error`; with `retryFailed`, failed jobs are queued again too.
 */
export function resumeStudy(state: StudyState, opts: { retryFailed?: boolean } = {}): StudyState {
  for (const j of state.jobs) {
    if (j.status === 'running') {
      j.status = 'pending';
      j.error = `interrupted at attempt ${j.attempts} (the app stopped while it ran); queued again`;
    } else if (j.status === 'failed' && opts.retryFailed) {
      j.status = 'pending';
    }
  }
  return state;
}

/**
 * The finished jobs' results, for the tables. A local result saved before measurements carried their precision
 * takes the study's `localPrecision`, so an int8 study made then is not read as fp32.
 */
export const studyMeasurements = (state: StudyState): StudyMeasurement[] =>
  state.jobs
    .filter((j) => j.status === 'done' && j.result)
    .map((j) =>
      j.result!.precision || j.target !== 'local'
        ? j.result!
        : { ...j.result!, precision: state.params.localPrecision ?? 'fp32' },
    );

/**
 * Claims a study for this process (`lock.json` beside study.json) so the app and the CLI never run one queue at once.
 * A lock left by a process that is gone is taken over. Returns the release function.
 */
export async function lockStudy(dataDir: string, id: string): Promise<() => Promise<void>> {
  const file = path.join(studiesDir(dataDir), id, 'lock.json');
  // Check-then-claim (and a dead owner's takeover) under the cross-process file lock: two processes can never
  // both find the claim stale and both take it.
  return withFileLock(file, async () => {
    try {
      await writeFile(file, JSON.stringify({ ...(await currentProcessIdentity()), since: new Date().toISOString() }), {
        flag: 'wx',
      });
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: ProcessIdentity | null = null;
    try {
      owner = JSON.parse(await readFile(file, 'utf8')) as ProcessIdentity;
    } catch {
      // unreadable claim: treat as stale
    }
    const pid = Number(owner?.pid) || 0;
    if (pid === process.pid) throw new Error(`study ${id} is already running`);
    if (pid && owner && (await ownerAlive({ ...owner, pid })))
      throw new Error(`study ${id} is already running in process ${pid}; wait for it or stop that process`);
    await writeFileAtomic(
      file,
      JSON.stringify({ ...(await currentProcessIdentity()), since: new Date().toISOString() }),
    );
    return () => rm(file, { force: true });
  });
}
