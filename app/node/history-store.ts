import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  ApiError,
  describeZodError,
  RunEntry,
  type ApiErrorData,
  type HistoryItem,
  type PredictionRow,
  type RunHeadline,
  type RunStatus,
} from '../common/contract/index.ts';
import { writeFileAtomic } from '../../engine/atomic-file.ts';
import { withFileLock } from '../../engine/file-lock.ts';
import { currentProcessIdentity, ownerAlive } from '../../engine/pid-alive.ts';
import { interruptedHeadline } from './interrupted-headline.ts';
import type { RunRecord } from '../../base/run-record.ts';

const ID_RE = /^[A-Za-z0-9._-]{1,100}$/;
const OWNER_FILE = 'owner.json';
/** Runs hold the user's data paths, model names and results: private to the user (folders 0700, files 0600). */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const Owner = z.object({
  pid: z.number().int(),
  hostname: z.string().optional(),
  startTime: z.string().optional(),
  bootId: z.string().optional(),
});

export interface NewRun {
  kind: string;
  name: string;
  params: Record<string, unknown>;
  headline?: RunHeadline;
}

export interface FinishRun {
  status: Exclude<RunStatus, 'running' | 'interrupted'>;
  record?: RunRecord | null;
  /** One object per partition (or per cloud rank), stored as partitions/partition-NNN.json. */
  partitions?: Array<Record<string, unknown>>;
  /** Writes predictions.csv; given the target path (a temp file that is renamed into place afterwards). */
  writePredictions?: (file: string) => Promise<void>;
  headline?: RunHeadline;
  error?: ApiErrorData | null;
}

/**
 * The run history: `<dataDir>/runs/<id>/` holds `run.json` (the entry, with the engine's record), one JSON per
 * partition under `partitions/`, and `predictions.csv`. Every file is written atomically. A run is created with
 * status "running" and finalised at the end, so a crash leaves it listed (as "interrupted").
 */
export class HistoryStore {
  readonly root: string;
  private locks = new Map<string, Promise<unknown>>();

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'runs');
  }

  dirOf(id: string): string {
    if (!ID_RE.test(id) || id === '.' || id === '..')
      throw new ApiError({ code: 'NOT_FOUND', message: `No run "${id}".` });
    return path.join(this.root, id);
  }

  /**
   * Serialises read-modify-write operations on one entry (e.g. a rename racing the end of the run), in this
   * process and across processes (`runs/.<id>.lock`; names starting with '.' are not entries).
   */
  private withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const locked = () => withFileLock(this.dirOf(id), fn, { lockfilePath: path.join(this.root, `.${id}.lock`) });
    const next = prev.then(locked, locked);
    const settled = next.catch(() => undefined);
    this.locks.set(id, settled);
    void settled.then(() => {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    });
    return next;
  }

  /**
   * Runs `fn` holding History's store-wide lock `name` (e.g. 'import'), so a check-then-create sequence (is this
   * file imported yet?) is atomic across processes: two concurrent imports cannot both add the same run.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(path.join(this.root, `.${name}`), fn, { waitMs: 120_000 });
  }

  async create(init: NewRun): Promise<RunEntry> {
    await mkdir(this.root, { recursive: true, mode: DIR_MODE });
    await chmod(this.root, DIR_MODE).catch(() => undefined); // made 0755 by an older version
    const now = new Date();
    const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const id = `${stamp}-${randomBytes(3).toString('hex')}`;
    const dir = path.join(this.root, id);
    await mkdir(dir, { mode: DIR_MODE });
    this.open.add(id);
    const entry: RunEntry = {
      schema: 'cosmicai.run/1',
      id,
      name: init.name,
      kind: init.kind,
      status: 'running',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      finishedAt: null,
      params: init.params,
      headline: init.headline ?? {},
      error: null,
      record: null,
    };
    await writeFileAtomic(path.join(dir, OWNER_FILE), JSON.stringify(await currentProcessIdentity()), {
      mode: FILE_MODE,
    });
    await this.write(entry);
    return entry;
  }

  private async write(entry: RunEntry): Promise<void> {
    await writeFileAtomic(path.join(this.dirOf(entry.id), 'run.json'), JSON.stringify(entry, null, 2) + '\n', {
      mode: FILE_MODE,
    });
  }

  private async readEntry(id: string): Promise<RunEntry> {
    const file = path.join(this.dirOf(id), 'run.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const exists = await stat(this.dirOf(id)).then(
          () => true,
          () => false,
        );
        if (!exists)
          throw new ApiError({
            code: 'NOT_FOUND',
            message: `No run "${id}" in ${this.root}.`,
            hint: 'It may have been deleted; reload History.',
          });
        throw new ApiError({
          code: 'DAMAGED',
          message: `${file} is missing.`,
          file,
          hint: 'This run was not saved completely. Delete it from History.',
        });
      }
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ApiError({
        code: 'DAMAGED',
        message: `${file} is not valid JSON: ${(err as Error).message}`,
        file,
        hint: 'The file was damaged. Delete this run from History.',
      });
    }
    const parsed = RunEntry.safeParse(json);
    if (!parsed.success)
      throw new ApiError({
        code: 'DAMAGED',
        message: `${file} is not a run entry: ${describeZodError(parsed.error)}`,
        file,
        hint: 'The file was damaged or written by another program. Delete this run from History.',
      });
    return this.withLiveness(parsed.data);
  }

  /** A "running" entry whose owning process is gone was interrupted (crash, kill, power loss). */
  private async withLiveness(entry: RunEntry): Promise<RunEntry> {
    if (entry.status !== 'running') return entry;
    let alive: boolean;
    try {
      const owner = Owner.parse(JSON.parse(await readFile(path.join(this.dirOf(entry.id), OWNER_FILE), 'utf8')));
      alive = owner.pid === process.pid ? this.isActive(entry.id) : await ownerAlive(owner);
    } catch {
      alive = false;
    }
    if (alive) return entry;
    // What the start-time headline guessed is replaced by what the kept partitions show.
    const headline =
      entry.kind === 'local'
        ? await interruptedHeadline(entry.headline, await this.keptPartitions(entry.id))
        : entry.headline;
    return { ...entry, status: 'interrupted', headline };
  }

  /** Entries this process created and has not finished yet. */
  private open = new Set<string>();
  private isActive(id: string): boolean {
    return this.open.has(id);
  }

  async get(id: string): Promise<{ entry: RunEntry; partitions: Array<Record<string, unknown>> }> {
    const entry = await this.readEntry(id);
    return { entry, partitions: await this.keptPartitions(id) };
  }

  private async keptPartitions(id: string): Promise<Array<Record<string, unknown>>> {
    const dir = path.join(this.dirOf(id), 'partitions');
    const names = (await readdir(dir).catch(() => [] as string[]))
      .filter((n) => /^partition-\d+\.json$/.test(n))
      .sort();
    const partitions: Array<Record<string, unknown>> = [];
    for (const n of names) {
      try {
        const v = JSON.parse(await readFile(path.join(dir, n), 'utf8'));
        if (v && typeof v === 'object' && !Array.isArray(v)) partitions.push(v);
      } catch {
        // A damaged partition file leaves the rest of the run readable; the record in run.json has them all too.
      }
    }
    return partitions;
  }

  async list(): Promise<HistoryItem[]> {
    const names = await readdir(this.root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    const items: HistoryItem[] = [];
    await Promise.all(
      names
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map(async (d) => {
          if (!ID_RE.test(d.name)) return;
          try {
            const e = await this.readEntry(d.name);
            items.push({
              damaged: false,
              id: e.id,
              name: e.name,
              kind: e.kind,
              status: e.status,
              createdAt: e.createdAt,
              finishedAt: e.finishedAt,
              headline: e.headline,
            });
          } catch (err) {
            items.push({ damaged: true, id: d.name, problem: err instanceof Error ? err.message : String(err) });
          }
        }),
    );
    // Newest first; ids start with a UTC timestamp, so damaged entries sort among the others.
    return items.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  async update(id: string, patch: Partial<Pick<RunEntry, 'name' | 'headline' | 'params'>>): Promise<RunEntry> {
    return this.withLock(id, async () => {
      const e = await this.readEntry(id);
      const next: RunEntry = { ...e, ...patch, updatedAt: new Date().toISOString() };
      await this.write(next);
      return next;
    });
  }

  async rename(id: string, name: string): Promise<void> {
    const trimmed = name.trim();
    if (!trimmed) throw new ApiError({ code: 'INVALID_INPUT', message: 'A run name cannot be empty.' });
    await this.update(id, { name: trimmed });
  }

  /**
   * Writes one partition's record while the run is still going, so a crash (kill -9, power loss) leaves the
   * finished partitions with the interrupted entry; finish() rewrites them all at the end.
   */
  async recordPartition(id: string, partition: Record<string, unknown>): Promise<void> {
    const n = typeof partition.partition === 'number' ? partition.partition : null;
    if (n === null || !Number.isSafeInteger(n) || n < 0) return;
    await this.withLock(id, async () => {
      const pdir = path.join(this.dirOf(id), 'partitions');
      await mkdir(pdir, { recursive: true, mode: DIR_MODE });
      await writeFileAtomic(
        path.join(pdir, `partition-${String(n).padStart(3, '0')}.json`),
        JSON.stringify(partition, null, 2) + '\n',
        { mode: FILE_MODE },
      );
    });
  }

  async finish(id: string, fin: FinishRun): Promise<RunEntry> {
    return this.withLock(id, async () => {
      const dir = this.dirOf(id);
      const e = await this.readEntry(id);
      if (fin.partitions?.length) {
        const pdir = path.join(dir, 'partitions');
        await mkdir(pdir, { recursive: true, mode: DIR_MODE });
        for (const [i, p] of fin.partitions.entries()) {
          const n = typeof p.partition === 'number' ? p.partition : i + 1;
          await writeFileAtomic(
            path.join(pdir, `partition-${String(n).padStart(3, '0')}.json`),
            JSON.stringify(p, null, 2) + '\n',
            { mode: FILE_MODE },
          );
        }
      }
      if (fin.writePredictions) {
        const tmp = path.join(dir, `.predictions.csv.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
        try {
          await fin.writePredictions(tmp);
          await chmod(tmp, FILE_MODE);
          await rename(tmp, path.join(dir, 'predictions.csv'));
        } finally {
          await rm(tmp, { force: true });
        }
      }
      const now = new Date().toISOString();
      const next: RunEntry = {
        ...e,
        status: fin.status,
        updatedAt: now,
        finishedAt: now,
        record: fin.record ?? e.record,
        headline: { ...e.headline, ...fin.headline },
        error: fin.error ?? null,
      };
      await this.write(next);
      await rm(path.join(dir, OWNER_FILE), { force: true });
      this.open.delete(id);
      return next;
    });
  }

  async delete(id: string): Promise<void> {
    await this.withLock(id, async () => {
      const dir = this.dirOf(id);
      const exists = await stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!exists)
        throw new ApiError({
          code: 'NOT_FOUND',
          message: `No run "${id}" in ${this.root}.`,
          hint: 'It may already have been deleted; reload History.',
        });
      // Rename first so a half-finished delete never leaves a half-readable entry in the list.
      const trash = path.join(this.root, `.deleting-${id}-${randomBytes(3).toString('hex')}`);
      await rename(dir, trash);
      await rm(trash, { recursive: true, force: true });
      this.open.delete(id);
    });
  }

  /** Reads predictions.csv; with `limit`, keeps an even sample of that many rows (for plotting). */
  async predictions(id: string, limit?: number): Promise<{ rows: PredictionRow[]; total: number }> {
    const file = path.join(this.dirOf(id), 'predictions.csv');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rows: [], total: 0 };
      throw err;
    }
    const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
    const header = lines.shift();
    if (header !== 'index,partition,z_true,z_pred')
      throw new ApiError({
        code: 'DAMAGED',
        message: `${file}: unexpected header "${header ?? ''}".`,
        file,
        hint: "The predictions file was damaged; the run's metrics are still shown.",
      });
    const total = lines.length;
    const take = limit && total > limit ? limit : total;
    const rows: PredictionRow[] = [];
    for (let j = 0; j < take; j++) {
      const parts = lines[Math.floor((j * total) / take)].split(',');
      const zp = Number(parts[3]);
      const zt = parts[2] === '' ? NaN : Number(parts[2]);
      // NaN/Inf predictions (from NaN inputs) cannot be plotted; the CSV keeps them.
      if (!Number.isFinite(zp)) continue;
      rows.push({
        index: Number(parts[0]),
        partition: Number(parts[1]),
        z_true: Number.isFinite(zt) ? zt : null,
        z_pred: zp,
      });
    }
    return { rows, total };
  }
}
