/** A study table as every exporter and screen sees it: typed columns, plain rows, notes under the table. */

export interface TableColumn {
  key: string;
  label: string;
  /** Shown in headers as "label (unit)"; empty for counts and text. */
  unit: string;
  /** Decimal places when printed; text columns leave it out. */
  digits?: number;
}

export type TableCell = number | string | null;

export interface StudyTable {
  title: string;
  columns: TableColumn[];
  rows: Array<Record<string, TableCell>>;
  notes: string[];
}

export const columnHeader = (c: TableColumn): string => (c.unit ? `${c.label} (${c.unit})` : c.label);
