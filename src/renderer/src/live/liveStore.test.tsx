// @vitest-environment jsdom
import { act, render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { applyValues, fromColumns, onValues, useLive } from './liveStore';

function Probe({ id, renders }: { id: number; renders: Record<number, number> }) {
  const v = useLive((s) => s.values[id]);
  renders[id] = (renders[id] ?? 0) + 1;
  return <span data-testid={`p${id}`}>{v ? String(v.value) : '-'}</span>;
}

describe('live store', () => {
  it('a value change re-renders only the components showing that point', () => {
    const renders: Record<number, number> = {};
    const { getByTestId } = render(
      <>
        <Probe id={1} renders={renders} />
        <Probe id={2} renders={renders} />
      </>,
    );
    expect(renders).toEqual({ 1: 1, 2: 1 });
    act(() => applyValues([{ point_id: 1, value: 5, quality: 'good', utc_date_time: '2026-11-22T10:00:00Z' }]));
    expect(getByTestId('p1').textContent).toBe('5');
    expect(renders).toEqual({ 1: 2, 2: 1 });
    act(() => applyValues([{ point_id: 2, value: 7, quality: 'stale', utc_date_time: '2026-11-22T10:00:01Z' }]));
    expect(renders).toEqual({ 1: 2, 2: 2 });
    expect(getByTestId('p2').textContent).toBe('7');
  });

  it('hands each batch to the batch listeners once the store has it', () => {
    const heard: number[][] = [];
    const stop = onValues((batch) => heard.push(batch.map((v) => v.point_id)));
    applyValues([
      { point_id: 3, value: 1, quality: 'good', utc_date_time: '2026-11-22T10:00:02Z' },
      { point_id: 4, value: 2, quality: 'good', utc_date_time: '2026-11-22T10:00:02Z' },
    ]);
    expect(heard).toEqual([[3, 4]]);
    expect(useLive.getState().values[4].value).toBe(2);
    stop();
    applyValues([{ point_id: 3, value: 5, quality: 'good', utc_date_time: '2026-11-22T10:00:03Z' }]);
    expect(heard).toHaveLength(1);
  });

  it('reads a columns message as the values of an objects message, one date string per distinct time', () => {
    const ms = Date.UTC(2026, 10, 22, 10, 0, 4);
    const values = fromColumns({ type: 'values', format: 'columns', point_id: [5, 6, 7], value: [1.5, 'on', null], quality: ['good', 'manual', 'comm_fail'], utc_ms: [ms, ms, ms + 1] });
    expect(values).toEqual([
      { point_id: 5, value: 1.5, quality: 'good', utc_date_time: '2026-11-22T10:00:04.000Z' },
      { point_id: 6, value: 'on', quality: 'manual', utc_date_time: '2026-11-22T10:00:04.000Z' },
      { point_id: 7, value: null, quality: 'comm_fail', utc_date_time: '2026-11-22T10:00:04.001Z' },
    ]);
    // a quality and a time that every value shares come once
    expect(fromColumns({ type: 'values', format: 'columns', point_id: [8, 9], value: [1, 2], quality: 'stale', utc_ms: ms })).toEqual([
      { point_id: 8, value: 1, quality: 'stale', utc_date_time: '2026-11-22T10:00:04.000Z' },
      { point_id: 9, value: 2, quality: 'stale', utc_date_time: '2026-11-22T10:00:04.000Z' },
    ]);
    applyValues(values);
    expect(useLive.getState().values[6]).toEqual({ point_id: 6, value: 'on', quality: 'manual', utc_date_time: '2026-11-22T10:00:04.000Z' });
  });
});
