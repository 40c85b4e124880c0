import { z } from 'zod';
import { domain, Empty, method } from './define.ts';

export const SystemInfo = z.object({
  app: z.string(),
  version: z.string(),
  mode: z.enum(['browser', 'electron']),
  dataDir: z.string(),
  platform: z.string(),
  arch: z.string(),
  node: z.string(),
  cpus: z.number(),
  cpuModel: z.string(),
  memoryMB: z.number(),
  homeDir: z.string(),
  /** Native open/save dialogs exist only in Electron; the browser uses the built-in file browser and downloads. */
  nativeDialogs: z.boolean(),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const DirEntry = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['file', 'dir']),
  size: z.number().nullable(),
});
export type DirEntry = z.infer<typeof DirEntry>;

export const system = domain({
  methods: {
    info: method(Empty, SystemInfo),
    /** Lists one folder for the in-app file browser (used in browser mode, where the page cannot see local paths). */
    listDir: method(
      z.object({ path: z.string().optional() }).strict(),
      z.object({ path: z.string(), parent: z.string().nullable(), entries: z.array(DirEntry) }),
    ),
    /** Native open dialog (Electron). The browser host answers UNSUPPORTED. */
    pickPaths: method(
      z
        .object({
          kind: z.enum(['file', 'files', 'folder']),
          title: z.string().max(200).optional(),
          extensions: z.array(z.string().max(20)).max(20).optional(),
        })
        .strict(),
      z.object({ paths: z.array(z.string()) }),
    ),
    /** Native save dialog then write (Electron). The browser downloads instead; the browser host answers UNSUPPORTED. */
    saveFile: method(
      z
        .object({
          suggestedName: z.string().min(1).max(255),
          content: z.string().max(200_000_000),
          encoding: z.enum(['utf8', 'base64']),
        })
        .strict(),
      z.object({ path: z.string().nullable() }),
    ),
  },
});
