/** Values listed in a report's settings: distinct and in order (25, 50, 100 — not the order files were found). */
export function sortedNumbers(values: Array<number | null | undefined>): string {
  const finite = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const xs = [...new Set(finite)].sort((a, b) => a - b);
  return xs.join(', ');
}

/** Data labels in natural order: 1GB, 2GB, 10GB, total. */
export function sortedLabels(values: Array<string | null | undefined>): string {
  const xs = [...new Set(values.filter((x): x is string => typeof x === 'string' && x !== ''))];
  return xs.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).join(', ');
}
