/**
 * Device sessions of the edge node (Sparkplug 3.0): which published devices are lost (their data source is offline:
 * the acquisition's status, for protocols with a device that can be lost) and what a device's DBIRTH carries (every
 * metric with its current value, timestamp, quality and properties). The publisher (edge.ts) decides when to send.
 */
import { talksToDevice } from '../../shared/protocols';
import type { Store } from '../store/store';
import type { PointValue, Quality } from '../values/bus';
import type { Catalog, Device } from './catalog';
import { type BirthMetric, wireValue } from './wire';

/** A query answering the catalog's devices whose data source is offline now (one small SELECT per call). */
export function offlineDevices(store: Store): (catalog: Catalog) => Set<number> {
  const q = store.db.prepare("SELECT id, protocol FROM data_sources WHERE status = 'offline'");
  return (catalog) => {
    const out = new Set<number>();
    for (const r of q.all() as { id: number; protocol: string }[]) {
      if (talksToDevice(r.protocol) && catalog.byDataSource.has(r.id)) out.add(r.id);
    }
    return out;
  };
}

/** A device's DBIRTH metrics: every metric's current value (comm_fail and null when it was never read). */
export function deviceBirthMetrics(d: Device, latest: (pointId: number) => PointValue | undefined, now: number): (BirthMetric & { alias: number; quality: Quality })[] {
  return d.metrics.map((m) => {
    const v = latest(m.pointId);
    const properties: BirthMetric['properties'] = { engUnit: { type: 'String', value: m.units }, Writable: { type: 'Boolean', value: m.writable } };
    if (m.low !== null) properties.engLow = { type: 'Double', value: m.low };
    if (m.high !== null) properties.engHigh = { type: 'Double', value: m.high };
    if (m.description) properties.Documentation = { type: 'String', value: m.description };
    return { alias: m.pointId, name: m.name, type: m.type, value: v ? wireValue(m.type, v.value) : null, ts: v?.ts ?? now, quality: v?.quality ?? 'comm_fail', properties };
  });
}
