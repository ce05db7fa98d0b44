/**
 * The report wire types the server sends and the Reports screen reads: the catalog entry of a report
 * (GET /api/reports/catalog) and the report document the workbook and the screen are drawn from
 * (GET /api/reports/{name}/document). One definition, so the two sides cannot drift apart.
 */

export type PeriodType = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

export interface ReportSubjectRef {
  /** entity path to list the subjects: /api/{kind} (spaces: /api/spaces/tree) */
  kind: string;
  /** the id parameter, e.g. spaceid, meterid1 */
  param: string;
  label: string;
}

export interface ReportDescription {
  name: string;
  label: string;
  /** null: the report has no subject (dashboard: the user's spaces) */
  subject: ReportSubjectRef | null;
  /** the period types offered; empty when the report has no periods (meterrealtime) */
  periodTypes: PeriodType[];
  base: boolean;
  extra: ReportSubjectRef[];
  /** query parameters the screen sends as they are (metertracking: energyCategory=all) */
  fixed?: Record<string, string>;
}

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
