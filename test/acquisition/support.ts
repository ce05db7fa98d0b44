import { createAcquisitionService, type AcquisitionService, type DataSourceConfig, type PointConfig, type PointValue } from '../../src/core/acquisition/contracts';

/** An engine whose sinks are recorded, for tests. */
export function recordingEngine() {
  const values: PointValue[] = [];
  const status = new Map<number, string>();
  const logs: string[] = [];
  const engine: AcquisitionService = createAcquisitionService(
    {
      values: (batch) => values.push(...batch),
      dataSourceStatus: (id, s) => status.set(id, s),
    },
    (line) => logs.push(line),
  );
  const last = (pointId: number) => [...values].reverse().find((v) => v.point_id === pointId);
  return { engine, values, status, logs, last };
}

export { waitFor } from '../support/runtime';

let nextId = 1;
export function point(dataSourceId: number, name: string, address: Record<string, unknown>, extra: Partial<PointConfig> = {}): PointConfig {
  return {
    id: nextId++,
    name,
    data_source_id: dataSourceId,
    object_type: 'ANALOG_VALUE',
    units: null,
    high_limit: null,
    low_limit: null,
    ratio: 1,
    offset_constant: 0,
    is_trend: true,
    is_virtual: false,
    address,
    ...extra,
  };
}

export function source(id: number, protocol: string, connection: Record<string, unknown>): DataSourceConfig {
  return { id, name: `${protocol}-${id}`, gateway_id: null, protocol, connection };
}
