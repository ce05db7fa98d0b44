import { api } from '../app/api';
import type { Pen } from './TrendChart';

export interface PointInfo {
  id: number;
  name: string;
  units: string;
  high_limit: number | null;
  low_limit: number | null;
  higher_limit?: number | null;
  lower_limit?: number | null;
  object_type: string;
  is_trend: boolean;
  is_virtual?: boolean;
  data_source?: { id: number; name: string };
}

export interface TrendResponse {
  point_id: number;
  downsampled: boolean;
  values: { utc_date_time: string; value: number | string | null; quality: string }[];
}

export async function loadPen(point: { id: number; name: string; units: string }, from: number, to: number, maxPoints: number): Promise<Pen> {
  const q = new URLSearchParams({ startdatetime: new Date(from).toISOString(), enddatetime: new Date(to).toISOString(), maxpoints: String(Math.max(4, Math.round(maxPoints))) });
  const r = await api.get<TrendResponse>(`/points/${point.id}/trend?${q}`);
  return { pointId: point.id, name: point.name, units: point.units ?? '', samples: r.values.map((v) => [Date.parse(v.utc_date_time), typeof v.value === 'number' ? v.value : null]) };
}

export function download(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
