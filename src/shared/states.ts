/**
 * State labels of discrete points: a point may name its values (e.g. {"0":"Open","1":"Closed"}). Both sides use
 * this: the runtime validates labels and refuses commands outside them; the renderer shows states, not numbers.
 */
export type StateLabels = Record<string, string>;

/** The labels of a point's `state_labels` (JSON text or object), or an error message naming what is wrong. */
export function parseStateLabels(v: unknown): { labels: StateLabels | null; error?: string } {
  if (v === null || v === undefined || v === '') return { labels: null };
  let o: unknown = v;
  if (typeof v === 'string') {
    try {
      o = JSON.parse(v);
    } catch {
      return { labels: null, error: 'state_labels must be a JSON object like {"0":"Open","1":"Closed"}' };
    }
  }
  if (o === null) return { labels: null };
  if (typeof o !== 'object' || Array.isArray(o)) return { labels: null, error: 'state_labels must be a JSON object like {"0":"Open","1":"Closed"}' };
  const labels: StateLabels = {};
  const seen = new Set<string>();
  for (const [k, label] of Object.entries(o as Record<string, unknown>)) {
    if (k.trim() === '' || !Number.isFinite(Number(k))) return { labels: null, error: `state_labels key "${k}" must be a number (the value of the state)` };
    if (typeof label !== 'string' || label.trim() === '' || label.length > 64) return { labels: null, error: `state_labels["${k}"] must be a name of 1 to 64 characters` };
    if (seen.has(label.trim().toLowerCase())) return { labels: null, error: `state_labels names "${label}" twice` };
    seen.add(label.trim().toLowerCase());
    labels[String(Number(k))] = label.trim();
  }
  return { labels: Object.keys(labels).length ? labels : null };
}

/** The state's name for a value, or undefined when the value has none. */
export function stateLabel(labels: StateLabels | null | undefined, value: unknown): string | undefined {
  if (!labels || typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return labels[String(value)];
}

/** The defined states in value order. */
export function stateList(labels: StateLabels): { value: number; label: string }[] {
  return Object.entries(labels)
    .map(([k, label]) => ({ value: Number(k), label }))
    .sort((a, b) => a.value - b.value);
}
