// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { applyValues, useLive } from '../live/liveStore';
import { type Device, type DeviceKind, PowerBalance } from './devices';

const KINDS: DeviceKind[] = [
  { path: 'photovoltaics', label: 'Photovoltaics', sign: 1 },
  { path: 'grids', label: 'Grid', sign: 1 },
  { path: 'loads', label: 'Loads', sign: -1 },
  { path: 'powerconversionsystems', label: 'PCS', sign: 0 },
];
const DEVICES: Record<string, Device[]> = {
  photovoltaics: [{ id: 1, name: 'Rooftop PV', power_point_id: 11 }],
  grids: [{ id: 2, name: 'Utility connection', power_point: { id: 12, name: 'Grid Power' } }],
  loads: [
    { id: 3, name: 'Building A', power_point_id: 13 },
    { id: 4, name: 'Building B', power_point_id: 14 },
  ],
  powerconversionsystems: [{ id: 5, name: 'Inverter', power_point_id: 15 }],
};
const at = '2026-12-01T10:00:00Z';
const text = (label: string) => screen.getByText(label).parentElement!.querySelector('strong')!.textContent;

afterEach(() => {
  cleanup();
  useLive.setState({ values: {} });
});

describe('power balance of a plant panel', () => {
  it('renders (no update loop, React error #185) and sums supply and demand from the live values', () => {
    render(<PowerBalance kinds={KINDS} devices={DEVICES} />);
    expect(text('Supply')).toBe('0.0 kW');
    act(() =>
      applyValues([
        { point_id: 11, value: 40.5, quality: 'good', utc_date_time: at },
        { point_id: 12, value: 20, quality: 'good', utc_date_time: at },
        { point_id: 13, value: 30.25, quality: 'good', utc_date_time: at },
        { point_id: 14, value: 12, quality: 'good', utc_date_time: at },
        { point_id: 15, value: 999, quality: 'good', utc_date_time: at },
      ]),
    );
    // supply 40.5 + 20 = 60.5; demand 30.25 + 12 = 42.25 (the PCS does not count); balance 18.25
    expect(text('Supply')).toBe('60.5 kW');
    expect(text('Demand')).toBe('42.3 kW');
    expect(text('Balance')).toBe('18.3 kW');
    act(() => applyValues([{ point_id: 11, value: 'n/a', quality: 'bad', utc_date_time: at }]));
    expect(text('Supply')).toBe('20.0 kW');
  });

  it('stays mounted through many live updates of unrelated points', () => {
    render(<PowerBalance kinds={KINDS} devices={DEVICES} />);
    for (let i = 0; i < 50; i++) act(() => applyValues([{ point_id: 99, value: i, quality: 'good', utc_date_time: at }]));
    expect(text('Balance')).toBe('0.0 kW');
  });
});
