import { z } from 'zod';
import { domain, Empty, method } from './define.ts';
import { GraphOptimization } from './runs.ts';
import { MAX_BATCH_SIZE, MAX_THREADS } from '../../../base/options.ts';

export const Theme = z.enum(['system', 'light', 'dark']);

export const Settings = z.object({
  theme: Theme,
  defaults: z.object({
    /** Empty: the bundled reference model. */
    model: z.string(),
    /** Empty: the bundled sample data. One path per line in the UI. */
    data: z.array(z.string()),
    batchSize: z.number().int().min(1).max(MAX_BATCH_SIZE),
    /** 0: let onnxruntime decide. */
    threads: z.number().int().min(0).max(MAX_THREADS),
    graphOptimization: GraphOptimization,
  }),
});
export type Settings = z.infer<typeof Settings>;

export const SettingsPatch = z
  .object({
    theme: Theme.optional(),
    defaults: Settings.shape.defaults.partial().optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const settings = domain({
  methods: {
    get: method(Empty, z.object({ settings: Settings, dataDir: z.string() })),
    update: method(SettingsPatch, z.object({ settings: Settings, dataDir: z.string() })),
  },
});
