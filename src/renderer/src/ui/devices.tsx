/**
 * Device panels shared by the microgrid and storage screens: a plant's devices by kind, each with the live
 * values of the points its configuration names (fields `<something>_point` / `<something>_point_id`), a power
 * balance from the devices' power points, and a faceplate on click.
 */
import { useEffect, useState } from 'react';
import { api } from '../app/api';
import { type LiveValue, useLive, useSubscription } from '../live/liveStore';
import { Faceplate } from './Faceplate';
import { formatNumber } from './format';
import { PointValue } from './PointValue';

export interface DeviceKind {
  /** path segment under the plant (e.g. "batteries") */
  path: string;
  label: string;
  /** how its power counts in the balance: +1 supplies the site, -1 consumes, 0 not counted */
  sign: 1 | -1 | 0;
}

export type Device = Record<string, unknown> & { id: number; name: string };

/** The points a device names: [field label, point id]. */
export function devicePoints(device: Device): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(device)) {
    const m = /^(.*)_point(_id)?$/.exec(k);
    if (!m) continue;
    const id = typeof v === 'number' ? v : v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'number' ? (v as { id: number }).id : null;
    if (id && !out.some(([, x]) => x === id)) out.push([m[1].replace(/_/g, ' '), id]);
  }
  return out;
}

export function powerPointOf(device: Device): number | null {
  return devicePoints(device).find(([label]) => label === 'power' || label === 'active power')?.[1] ?? null;
}

export function useDevices(base: string | null, kinds: DeviceKind[]): Record<string, Device[]> {
  const [devices, setDevices] = useState<Record<string, Device[]>>({});
  useEffect(() => {
    setDevices({});
    if (!base) return;
    let cancelled = false;
    void Promise.all(kinds.map(async (k) => [k.path, await api.get<Device[]>(`${base}/${k.path}`).catch(() => [])] as const)).then((entries) => {
      if (!cancelled) setDevices(Object.fromEntries(entries));
    });
    return () => {
      cancelled = true;
    };
  }, [base, kinds]);
  return devices;
}

/** Supply (PV, discharging battery, grid import, generator) against demand (loads, chargers, heat pumps). */
export function PowerBalance({ kinds, devices }: { kinds: DeviceKind[]; devices: Record<string, Device[]> }) {
  const rows = kinds.flatMap((k) => (devices[k.path] ?? []).map((d) => ({ kind: k, device: d, point: powerPointOf(d) }))).filter((r) => r.point && r.kind.sign !== 0);
  useSubscription(rows.map((r) => r.point!));
  // selectors return numbers (compared by value): a selector that builds a new array on every call makes
  // React re-render forever (error #185, "maximum update depth")
  const sum = (values: Record<number, LiveValue>, sign: 1 | -1) => rows.reduce((a, r) => (r.kind.sign === sign && typeof values[r.point!]?.value === 'number' ? a + (values[r.point!].value as number) : a), 0);
  const supply = useLive((s) => sum(s.values, 1));
  const demand = useLive((s) => sum(s.values, -1));
  return (
    <div className="power-balance" aria-label="Power balance">
      <div>
        <span>Supply</span>
        <strong>{formatNumber(supply, '0.0')} kW</strong>
      </div>
      <div>
        <span>Demand</span>
        <strong>{formatNumber(demand, '0.0')} kW</strong>
      </div>
      <div>
        <span>Balance</span>
        <strong>{formatNumber(supply - demand, '0.0')} kW</strong>
      </div>
    </div>
  );
}

export function DeviceGroups({ kinds, devices }: { kinds: DeviceKind[]; devices: Record<string, Device[]> }) {
  const [faceplate, setFaceplate] = useState<number | null>(null);
  return (
    <div className="device-groups">
      {kinds.map((k) =>
        (devices[k.path] ?? []).length ? (
          <section key={k.path} className="device-group" aria-label={k.label}>
            <h2>{k.label}</h2>
            {(devices[k.path] ?? []).map((d) => (
              <div key={d.id} className="device-card">
                <h3>{d.name}</h3>
                <dl>
                  {devicePoints(d).map(([label, id]) => (
                    <div key={id} className="device-point" onClick={() => setFaceplate(id)} onKeyDown={(e) => e.key === 'Enter' && setFaceplate(id)} tabIndex={0} role="button">
                      <dt>{label}</dt>
                      <dd>
                        <PointValue pointId={id} format="0.0" />
                      </dd>
                    </div>
                  ))}
                </dl>
              </div>
            ))}
          </section>
        ) : null,
      )}
      {faceplate !== null && <Faceplate pointId={faceplate} onClose={() => setFaceplate(null)} />}
    </div>
  );
}
