import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../engine/atomic-file.ts';
import { DEFAULT_PRICE_TABLE, parsePriceTable, type PriceTable } from '../../base/price-table.ts';

/**
 * The user's price table: `<dataDir>/prices.json`. Without the file the defaults apply; an edited file is checked
 * and a bad one is reported with its path and the fields at fault (never silently replaced by the defaults).
 */

export const priceFile = (dataDir: string): string => path.join(dataDir, 'prices.json');

export async function loadPriceTable(dataDir: string): Promise<{ table: PriceTable; custom: boolean; file: string }> {
  const file = priceFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { table: DEFAULT_PRICE_TABLE, custom: false, file };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `${file} is not valid JSON (${(err as Error).message}); fix it or delete it to use the default prices`,
      { cause: err },
    );
  }
  return { table: parsePriceTable(json, file), custom: true, file };
}

export async function savePriceTable(
  dataDir: string,
  table: unknown,
  origin = 'the new price table',
): Promise<PriceTable> {
  const file = priceFile(dataDir);
  const valid = parsePriceTable(table, origin);
  await writeFileAtomic(file, JSON.stringify(valid, null, 2) + '\n', { mkdir: true });
  return valid;
}

/** Back to the defaults: the user's file is removed. */
export async function resetPriceTable(dataDir: string): Promise<void> {
  await rm(priceFile(dataDir), { force: true });
}
