import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Settings, type SettingsPatch } from '../common/contract/index.ts';
import { writeFileAtomic } from '../../engine/atomic-file.ts';
import { DEFAULT_BATCH_SIZE } from '../../base/options.ts';

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  defaults: { model: '', data: [], batchSize: DEFAULT_BATCH_SIZE, threads: 0, graphOptimization: 'all' },
};

/** `<dataDir>/settings.json`; a missing or damaged file means the defaults (a damaged one is not overwritten until saved). */
export class SettingsStore {
  readonly file: string;
  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
  }

  async get(): Promise<Settings> {
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8'));
      const merged = {
        ...DEFAULT_SETTINGS,
        ...raw,
        defaults: { ...DEFAULT_SETTINGS.defaults, ...(raw?.defaults ?? {}) },
      };
      const parsed = Settings.safeParse(merged);
      return parsed.success ? parsed.data : DEFAULT_SETTINGS;
    } catch {
      return DEFAULT_SETTINGS;
    }
  }

  async update(patch: SettingsPatch): Promise<Settings> {
    const cur = await this.get();
    const next = Settings.parse({
      ...cur,
      ...(patch.theme ? { theme: patch.theme } : {}),
      defaults: { ...cur.defaults, ...(patch.defaults ?? {}) },
    });
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n');
    return next;
  }
}
