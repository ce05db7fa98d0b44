/**
 * The state labels of discrete points, by point id, read from /api/points once per session and refreshed every
 * minute (and for one point whenever its faceplate reads it), so that every value display shows "Closed", not 1.
 */
import { create } from 'zustand';
import { api } from '../app/api';
import { parseStateLabels, type StateLabels } from '../../../shared/states';

interface PointStates {
  labels: Record<number, StateLabels>;
  set(pointId: number, raw: unknown): void;
}

export const usePointStates = create<PointStates>((set) => ({
  labels: {},
  set: (pointId, raw) =>
    set((s) => {
      const { labels } = parseStateLabels(raw);
      if (!labels && !(pointId in s.labels)) return s;
      const next = { ...s.labels };
      if (labels) next[pointId] = labels;
      else delete next[pointId];
      return { labels: next };
    }),
}));

let timer: ReturnType<typeof setInterval> | null = null;

async function refresh(): Promise<void> {
  const points = await api.get<{ id: number; state_labels?: unknown }[]>('/points').catch(() => null);
  if (!points) return;
  const labels: Record<number, StateLabels> = {};
  for (const p of points) {
    const l = parseStateLabels(p.state_labels).labels;
    if (l) labels[p.id] = l;
  }
  usePointStates.setState({ labels });
}

/** Starts reading the labels (idempotent); the first display of a value calls it. */
export function ensurePointStates(): void {
  if (timer) return;
  timer = setInterval(() => void refresh(), 60_000);
  void refresh();
}

/** One point's state labels (undefined for a point without states). */
export function useStateLabels(pointId: number | null | undefined): StateLabels | undefined {
  ensurePointStates();
  return usePointStates((s) => (pointId ? s.labels[pointId] : undefined));
}

/** For code outside React (the diagram binder): the labels known now. */
export const stateLabelsOf = (pointId: number): StateLabels | undefined => usePointStates.getState().labels[pointId];
