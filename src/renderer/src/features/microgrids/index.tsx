/** Microgrid panel: PV, battery, grid, generator, EV chargers, heat pumps, loads and PCS, with the power balance. */
import { useEffect, useState } from 'react';
import { api } from '../../app/api';
import { DeviceGroups, type DeviceKind, PowerBalance, useDevices } from '../../ui/devices';

export const MICROGRID_KINDS: DeviceKind[] = [
  { path: 'photovoltaics', label: 'Photovoltaics', sign: 1 },
  { path: 'batteries', label: 'Batteries', sign: 1 },
  { path: 'grids', label: 'Grid', sign: 1 },
  { path: 'generators', label: 'Generators', sign: 1 },
  { path: 'powerconversionsystems', label: 'Power conversion systems', sign: 0 },
  { path: 'evchargers', label: 'EV chargers', sign: -1 },
  { path: 'heatpumps', label: 'Heat pumps', sign: -1 },
  { path: 'loads', label: 'Loads', sign: -1 },
];

export default function MicrogridsScreen() {
  const [list, setList] = useState<{ id: number; name: string }[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  useEffect(() => {
    void api
      .get<{ id: number; name: string }[]>('/microgrids')
      .then((l) => {
        setList(l);
        setSelected((s) => s ?? l[0]?.id ?? null);
      })
      .catch(() => setList([]));
  }, []);
  const devices = useDevices(selected ? `/microgrids/${selected}` : null, MICROGRID_KINDS);
  return (
    <section className="screen plant-panel">
      <nav className="sub-nav" aria-label="Microgrids">
        <h2>Microgrids</h2>
        {list.map((m) => (
          <button key={m.id} type="button" aria-pressed={m.id === selected} onClick={() => setSelected(m.id)}>
            {m.name}
          </button>
        ))}
        {list.length === 0 && <p>No microgrid configured.</p>}
      </nav>
      <div>
        <h1>{list.find((m) => m.id === selected)?.name ?? 'Microgrid'}</h1>
        <PowerBalance kinds={MICROGRID_KINDS} devices={devices} />
        <DeviceGroups kinds={MICROGRID_KINDS} devices={devices} />
      </div>
    </section>
  );
}
