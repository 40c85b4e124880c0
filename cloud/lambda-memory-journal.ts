import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../engine/atomic-file.ts';
import { withFileLock } from '../engine/file-lock.ts';
import { currentProcessIdentity, ownerAlive } from '../engine/pid-alive.ts';
import type { AwsClients } from './aws-clients.ts';
import {
  LambdaMemoryError,
  readFunctionMemory,
  setFunctionMemory,
  type FunctionMemory,
  type SetMemoryOptions,
} from './lambda-memory.ts';

/**
 * Putting a function's memory back the way the sweep found it, even after a cancel or a crash.
 *
 * Before the first change, a restore journal is written atomically to `<dataDir>/lambda-memory/<key>.json`: the
 * function (name and ARN), its region, the profile, the original MemorySize and the owning process (pid, start
 * time, boot id). `LambdaMemorySession.restore()` sets the original back and removes the journal. A journal
 * whose owner is gone (killed, crashed, rebooted) is restored by `restoreLeftoverMemory` on the next start of a
 * study (CLI or app), which says so. A journal stays until its restore succeeds, so a failed restore is retried.
 */

const JournalSchema = z.object({
  version: z.literal(1),
  functionName: z.string(),
  functionArn: z.string(),
  region: z.string(),
  profile: z.string(),
  originalMemoryMb: z.number().int(),
  owner: z.object({
    pid: z.number().int(),
    hostname: z.string().optional(),
    startTime: z.string().optional(),
    bootId: z.string().optional(),
  }),
  createdAt: z.string(),
  /** What the sweep was doing (e.g. the study id), for the message. */
  purpose: z.string().optional(),
});
export type MemoryJournal = z.infer<typeof JournalSchema>;

export const journalDir = (dataDir: string): string => path.join(dataDir, 'lambda-memory');

export function journalFile(dataDir: string, region: string, functionArn: string): string {
  const key = createHash('sha256').update(`${region}\n${functionArn}`).digest('hex').slice(0, 16);
  return path.join(journalDir(dataDir), `${key}.json`);
}

async function readJournal(file: string): Promise<MemoryJournal | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = JournalSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a Lambda memory restore journal; remove it by hand`);
  return parsed.data;
}

export async function listJournals(dataDir: string): Promise<Array<{ file: string; journal: MemoryJournal }>> {
  let names: string[];
  try {
    names = await readdir(journalDir(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Array<{ file: string; journal: MemoryJournal }> = [];
  for (const n of names.filter((x) => /^[0-9a-f]{16}\.json$/.test(x))) {
    const file = path.join(journalDir(dataDir), n);
    const journal = await readJournal(file).catch(() => null);
    if (journal) out.push({ file, journal });
  }
  return out;
}

export interface LeftoverOutcome {
  journal: MemoryJournal;
  outcome: 'restored' | 'owner-alive' | 'failed' | 'no-profile';
  /** What happened, for the user. */
  message: string;
}

/**
 * Restores every journal left by a process that is gone. `clientsFor(profileName)` makes the clients of the profile
 * the journal names (null when it no longer exists). Journals of a live process are left alone.
 */
export async function restoreLeftoverMemory(
  dataDir: string,
  clientsFor: (profile: string) => Promise<AwsClients | null>,
  o: SetMemoryOptions = {},
): Promise<LeftoverOutcome[]> {
  const out: LeftoverOutcome[] = [];
  for (const { file, journal } of await listJournals(dataDir)) {
    const j = journal;
    const what = `${j.functionName} (${j.region})`;
    out.push(
      await withFileLock(file, async () => {
        const now = await readJournal(file);
        if (!now) return { journal: j, outcome: 'restored' as const, message: `${what}: already restored` };
        if (now.owner.pid === process.pid || (await ownerAlive(now.owner)))
          return {
            journal: j,
            outcome: 'owner-alive' as const,
            message: `${what}: a memory sweep in process ${now.owner.pid} is still using it; left alone`,
          };
        const clients = await clientsFor(j.profile).catch(() => null);
        if (!clients)
          return {
            journal: j,
            outcome: 'no-profile' as const,
            message:
              `${what} was left at a sweep's memory by a process that stopped; its original is ${j.originalMemoryMb} MB, ` +
              `but profile '${j.profile}' is gone. Set it back by hand, then delete ${file}.`,
          };
        try {
          const before = await readFunctionMemory(clients.lambda, j.functionArn);
          await setFunctionMemory(clients.lambda, j.functionArn, j.originalMemoryMb, o);
          await rm(file, { force: true });
          return {
            journal: j,
            outcome: 'restored' as const,
            message:
              `${what} was left at ${before.memoryMb} MB by a memory sweep that stopped (process ${j.owner.pid}); ` +
              `restored to its original ${j.originalMemoryMb} MB.`,
          };
        } catch (err) {
          return {
            journal: j,
            outcome: 'failed' as const,
            message: `${what}: could not restore its original ${j.originalMemoryMb} MB: ${(err as Error).message}`,
          };
        } finally {
          clients.destroy();
        }
      }),
    );
  }
  return out;
}

export interface MemoryEvent {
  phase: 'setting' | 'waiting' | 'set' | 'restoring' | 'restored';
  functionName: string;
  memoryMb: number;
  message: string;
}

/**
 * One sweep's hold on one function: `ensure(mb)` sets it (journal first, before the first change), `restore()`
 * puts the original back and removes the journal. `current` is the configured memory after the last ensure.
 */
export class LambdaMemorySession {
  private original: FunctionMemory | null = null;
  private journalPath: string | null = null;
  current: number | null = null;

  constructor(
    private readonly clients: AwsClients,
    private readonly dataDir: string,
    readonly functionName: string,
    private readonly o: SetMemoryOptions & { purpose?: string; onEvent?: (e: MemoryEvent) => void } = {},
  ) {}

  get originalMemoryMb(): number | null {
    return this.original?.memoryMb ?? null;
  }

  private emit(phase: MemoryEvent['phase'], memoryMb: number, message: string) {
    this.o.onEvent?.({ phase, functionName: this.functionName, memoryMb, message });
  }

  /** Reads the function once (its original memory); called by ensure, or early to check access. */
  async open(): Promise<FunctionMemory> {
    if (!this.original) {
      this.original = await readFunctionMemory(this.clients.lambda, this.functionName);
      this.current = this.original.memoryMb;
    }
    return this.original;
  }

  async ensure(memoryMb: number, signal?: AbortSignal): Promise<void> {
    const orig = await this.open();
    if (this.current === memoryMb) return;
    if (!this.journalPath) await this.writeJournal(orig);
    this.emit('setting', memoryMb, `setting ${this.functionName} to ${memoryMb} MB (was ${this.current} MB)`);
    await setFunctionMemory(this.clients.lambda, orig.functionArn, memoryMb, {
      ...this.o,
      signal,
      onWait: (status, waited) =>
        this.emit(
          'waiting',
          memoryMb,
          `waiting for ${this.functionName} to be updated to ${memoryMb} MB (LastUpdateStatus ${status}, ` +
            `${Math.round(waited / 1000)} s)`,
        ),
    }).catch(async (err) => {
      // What is the function at now? Keep `current` true so restore() knows whether to act.
      this.current = await readFunctionMemory(this.clients.lambda, orig.functionArn)
        .then((m) => m.memoryMb)
        .catch(() => null);
      throw err;
    });
    this.current = memoryMb;
    this.emit('set', memoryMb, `${this.functionName} now has ${memoryMb} MB`);
  }

  /** Puts the original memory back (if it was changed) and removes the journal. Safe to call more than once. */
  async restore(): Promise<{ restored: boolean; memoryMb: number | null }> {
    if (!this.original || !this.journalPath) return { restored: false, memoryMb: this.current };
    const mb = this.original.memoryMb;
    if (this.current !== mb) {
      this.emit('restoring', mb, `restoring ${this.functionName} to its original ${mb} MB`);
      await setFunctionMemory(this.clients.lambda, this.original.functionArn, mb, this.o);
      this.current = mb;
    }
    await rm(this.journalPath, { force: true });
    this.journalPath = null;
    this.emit('restored', mb, `${this.functionName} is back at its original ${mb} MB`);
    return { restored: true, memoryMb: mb };
  }

  private async writeJournal(orig: FunctionMemory): Promise<void> {
    const file = journalFile(this.dataDir, this.clients.profile.region, orig.functionArn);
    await withFileLock(file, async () => {
      const existing = await readJournal(file);
      if (existing && existing.owner.pid !== process.pid && (await ownerAlive(existing.owner)))
        throw new LambdaMemoryError(
          'conflict',
          `Another memory sweep (process ${existing.owner.pid}) is changing ${this.functionName}.`,
          'Wait for it to finish; two sweeps on one function would measure each other’s memory.',
          this.functionName,
        );
      // A leftover journal of a dead process keeps ITS original (the true one): this function's memory now is
      // what that sweep left, so it must not become the original.
      const original = existing ? existing.originalMemoryMb : orig.memoryMb;
      if (existing) this.original = { ...orig, memoryMb: original };
      const j: MemoryJournal = {
        version: 1,
        functionName: orig.functionName,
        functionArn: orig.functionArn,
        region: this.clients.profile.region,
        profile: this.clients.profile.name,
        originalMemoryMb: original,
        owner: await currentProcessIdentity(),
        createdAt: new Date().toISOString(),
        ...(this.o.purpose ? { purpose: this.o.purpose } : {}),
      };
      await writeFileAtomic(file, JSON.stringify(j, null, 2) + '\n', { mkdir: true });
    });
    this.journalPath = file;
  }
}
