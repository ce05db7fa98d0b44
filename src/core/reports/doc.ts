/**
 * What a report shows, independent of its MyEMS JSON shape: the workbook (and the screen) are drawn from it.
 * Builders return the MyEMS answer and this document side by side.
 */
export type { ChartSpec, KeyFigure, ReportDoc, TableSpec } from '../../shared/reports';
import type { ReportDoc } from '../../shared/reports';

export interface Built {
  json: Record<string, unknown>;
  doc: ReportDoc;
}
