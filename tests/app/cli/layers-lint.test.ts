/**
 * The CLI's lint zone (eslint.config.js, tools/eslint/layers.js): app/cli is a thin client of the Node services, so
 * an import of engine/, cloud/, study/ or the emulator from it fails lint, while app/node, app/common and base/ pass.
 */
import { ESLint } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message);
}

describe('layers/imports: the CLI zone', () => {
  it.each([
    ["import { appDataDir } from '../../engine/data-dir.ts';", 'engine'],
    ["import type { AwsClients } from '../../cloud/aws-clients.ts';", 'cloud'],
    ["export { table2 } from '../../study/tables.ts';", 'study'],
    ["const m = await import('../../emulator/index.ts');", 'emulator'],
  ])('refuses %s', async (line, layer) => {
    const errors = await layerErrors('app/cli/probe.ts', `${line}\nexport {};\n`);
    expect(errors).toEqual([expect.stringContaining(`cli may not import ${layer}`)]);
    expect(errors[0]).toContain('cli may use node, contract, base');
  });

  it('allows the Node services, the contract, base and packages', async () => {
    const code = [
      "import { Command } from 'commander';",
      "import { readFile } from 'node:fs/promises';",
      "import { appDataDir } from '../node/services/system.ts';",
      "import { HistoryStore } from '../node/history-store.ts';",
      "import type { RunEntry } from '../common/contract/index.ts';",
      "import { DEFAULT_BATCH_SIZE } from '../../base/options.ts';",
      "import { formatTable } from './local-table.ts';",
      'export { Command, readFile, appDataDir, HistoryStore, DEFAULT_BATCH_SIZE, formatTable };',
      'export type { RunEntry };',
    ].join('\n');
    expect(await layerErrors('app/cli/probe.ts', code)).toEqual([]);
  });

  it('still lets the Node services use the lower layers', async () => {
    const code = "import { appDataDir } from '../../../engine/data-dir.ts';\nexport { appDataDir };\n";
    expect(await layerErrors('app/node/services/probe.ts', code)).toEqual([]);
  });

  it('lets electron/ use the Node services but not engine/', async () => {
    expect(await layerErrors('electron/probe.ts', "export * from '../app/node/services/index.ts';\n")).toEqual([]);
    expect(await layerErrors('electron/probe.ts', "export * from '../engine/data-dir.ts';\n")).toEqual([
      expect.stringContaining('electron may not import engine'),
    ]);
  });
});
