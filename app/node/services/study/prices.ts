import { loadPriceTable, resetPriceTable, savePriceTable } from '../../../../study/cost/price-store.ts';
import { fail } from './shared.ts';

/** The price table the cost figures use: read, replace with an edited one, or reset to the defaults. */
export const readPrices = (dataDir: string) =>
  loadPriceTable(dataDir).catch((err) =>
    Promise.reject(fail('BAD_PRICES', err, 'Fix the file, or press Reset to go back to the default prices.')),
  );

export async function setPrices(dataDir: string, table: unknown) {
  try {
    await savePriceTable(dataDir, table, 'the edited price table');
  } catch (err) {
    throw fail(
      'INVALID_INPUT',
      err,
      'Prices are non-negative numbers; the date is YYYY-MM-DD; the last tier has no limit.',
    );
  }
  return readPrices(dataDir);
}

export async function resetPrices(dataDir: string) {
  await resetPriceTable(dataDir);
  return readPrices(dataDir);
}
