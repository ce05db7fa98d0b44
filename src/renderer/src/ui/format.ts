import type { LiveValue, Quality } from '../live/liveStore';
import { stateLabel, type StateLabels } from '../../../shared/states';

const formatters = new Map<string, Intl.NumberFormat>();

/** The formatter of a format like "0.0" (one decimal), "0" (integer), "0.000"; one cached per format. */
export function numberFormat(format = '0.0'): Intl.NumberFormat {
  let f = formatters.get(format);
  if (!f) {
    const decimals = format.includes('.') ? format.split('.')[1].length : 0;
    f = new Intl.NumberFormat(undefined, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formatters.set(format, f);
  }
  return f;
}

/** Formats like "0.0" (one decimal), "0" (integer), "0.000" (hot path: see numberFormat). */
export function formatNumber(v: number, format = '0.0'): string {
  return numberFormat(format).format(v);
}

/** A value as text: its state's name for a discrete point with state labels, else the number with its units. */
export function formatValue(v: LiveValue | undefined, format?: string, units?: string, states?: StateLabels): string {
  if (!v || v.value === null || v.value === undefined) return '---';
  const state = stateLabel(states, v.value);
  if (state !== undefined) return state;
  const text = typeof v.value === 'number' ? formatNumber(v.value, format) : String(v.value);
  return units ? `${text} ${units}` : text;
}

/** Abnormal qualities get a glyph and a word, never colour alone (ISA-101). */
export const QUALITY_MARK: Record<Quality, { glyph: string; label: string } | null> = {
  good: null,
  manual: { glyph: 'M', label: 'manual value' },
  stale: { glyph: '?', label: 'stale' },
  comm_fail: { glyph: '✕', label: 'communication failure' },
  out_of_range: { glyph: '!', label: 'out of range' },
  bad: { glyph: '✕', label: 'bad value' },
};
