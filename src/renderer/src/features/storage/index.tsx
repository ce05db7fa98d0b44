/** Storage panel: power stations, their containers with batteries, PCS, grid, loads and schedules; SOC history. */
import { useEffect, useMemo, useState } from 'react';
import { api } from '../../app/api';
import { loadPen } from '../../ui/data';
import { type Device, DeviceGroups, type DeviceKind, devicePoints, PowerBalance, useDevices } from '../../ui/devices';
import { type Pen, TrendChart } from '../../ui/TrendChart';
import { StorageControllers } from './Controllers';

export const CONTAINER_KINDS: DeviceKind[] = [
  { path: 'batteries', label: 'Batteries', sign: 1 },
  { path: 'grids', label: 'Grid', sign: 1 },
  { path: 'powerconversionsystems', label: 'Power conversion systems', sign: 0 },
  { path: 'loads', label: 'Loads', sign: -1 },
];

interface Schedule {
  id: number;
  start_time_of_day: string;
  end_time_of_day: string;
  peak_type?: string;
  power?: number;
}

export default function StorageScreen() {
  const [stations, setStations] = useState<{ id: number; name: string }[]>([]);
  const [station, setStation] = useState<number | null>(null);
  const [containers, setContainers] = useState<{ id: number; name: string }[]>([]);
  const [container, setContainer] = useState<number | null>(null);
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  const [soc, setSoc] = useState<Pen[]>([]);

  useEffect(() => {
    void api
      .get<{ id: number; name: string }[]>('/energystoragepowerstations')
      .then((l) => {
        setStations(l);
        setStation((s) => s ?? l[0]?.id ?? null);
      })
      .catch(() => setStations([]));
  }, []);
  useEffect(() => {
    if (!station) return;
    void api
      .get<{ id: number; name: string }[]>(`/energystoragepowerstations/${station}/containers`)
      .then((l) => {
        setContainers(l);
        setContainer(l[0]?.id ?? null);
      })
      .catch(() => setContainers([]));
  }, [station]);
  const base = container ? `/energystoragecontainers/${container}` : null;
  const devices = useDevices(base, CONTAINER_KINDS);
  useEffect(() => {
    if (!base) return;
    void api.get<Schedule[]>(`${base}/schedules`).then(setSchedules).catch(() => setSchedules([]));
  }, [base]);
  const socPoints = useMemo(
    () =>
      (devices.batteries ?? []).flatMap((b: Device) =>
        devicePoints(b)
          .filter(([label]) => label === 'soc')
          .map(([, id]) => ({ id, name: `${b.name} SOC`, units: '%' })),
      ),
    [devices],
  );
  useEffect(() => {
    const to = Date.now();
    void Promise.all(socPoints.map((p) => loadPen(p, to - 86_400_000, to, 800))).then(setSoc).catch(() => setSoc([]));
  }, [socPoints]);

  return (
    <section className="screen plant-panel">
      <nav className="sub-nav" aria-label="Power stations">
        <h2>Power stations</h2>
        {stations.map((s) => (
          <button key={s.id} type="button" aria-pressed={s.id === station} onClick={() => setStation(s.id)}>
            {s.name}
          </button>
        ))}
        {stations.length === 0 && <p>No energy storage power station configured.</p>}
        {containers.length > 0 && <h2>Containers</h2>}
        {containers.map((c) => (
          <button key={c.id} type="button" aria-pressed={c.id === container} onClick={() => setContainer(c.id)}>
            {c.name}
          </button>
        ))}
      </nav>
      <div>
        <h1>{containers.find((c) => c.id === container)?.name ?? 'Energy storage'}</h1>
        <PowerBalance kinds={CONTAINER_KINDS} devices={devices} />
        {container && <StorageControllers container={container} />}
        <DeviceGroups kinds={CONTAINER_KINDS} devices={devices} />
        {soc.length > 0 && (
          <section aria-label="SOC over the last 24 hours">
            <h2>SOC, last 24 h</h2>
            <TrendChart pens={soc} height={240} />
          </section>
        )}
        {schedules.length > 0 && (
          <table className="grid" aria-label="Schedules">
            <thead>
              <tr>
                <th>From</th>
                <th>To</th>
                <th>Type</th>
                <th>Power (kW)</th>
              </tr>
            </thead>
            <tbody>
              {schedules.map((s) => (
                <tr key={s.id}>
                  <td>{s.start_time_of_day}</td>
                  <td>{s.end_time_of_day}</td>
                  <td>{s.peak_type ?? '-'}</td>
                  <td className="num">{s.power ?? '-'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
