/**
 * The study's tables use the app's one table type (base/table.ts: plain TypeScript, no DOM or Node),
 * so every study table exports to CSV, Markdown, LaTeX and JSON with the same code as the other tables.
 */
export type { Table as StudyTable, Column as TableColumn, CellValue as TableCell } from '../base/table.ts';

/** Notes under a study table are kept as separate sentences and shown one per line. */
export const joinNotes = (notes: string[]): string => notes.join('\n');
