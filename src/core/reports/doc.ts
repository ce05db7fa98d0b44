/**
 * What a report shows, independent of its MyEMS JSON shape: the workbook (and the screen) are drawn from it.
 * Builders return the MyEMS answer and this document side by side.
 */
export interface KeyFigure {
  label: string;
  unit: string;
  value: number | null;
  /** the same figure in the base period, and the change rate (reporting - base) / base */
  base?: number | null;
  rate?: number | null;
  /** periods of the reporting period without data behind the figure */
  missing?: number;
}

export interface ChartSpec {
  title: string;
  /** x axis labels */
  categories: string[];
  series: { name: string; values: (number | null)[] }[];
  unit: string;
  kind: 'bar' | 'line';
  stacked: boolean;
}

export interface TableSpec {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface ReportDoc {
  title: string;
  subjectLabel: string;
  subjectName: string;
  periodType: string | null;
  reporting: { start: string; end: string } | null;
  base: { start: string; end: string } | null;
  timezone: string;
  figures: KeyFigure[];
  charts: ChartSpec[];
  tables: TableSpec[];
  notes: string[];
}

export interface Built {
  json: Record<string, unknown>;
  doc: ReportDoc;
}
