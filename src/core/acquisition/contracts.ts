/**
 * The boundary of field acquisition: what the runtime hands the engine (configuration) and what the engine
 * hands back (values, data source status). The engine knows nothing of SQLite or HTTP.
 */
import type { PointValue, Quality, ValueBatch } from '../values/bus';

export type { PointValue, Quality, ValueBatch };

export interface DataSourceConfig {
  id: number;
  name: string;
  gateway_id: number | null;
  /** 'modbus-tcp' | 'modbus-rtu' | 'bacnet-ip' | 'mqtt' | 'simulation' | 'virtual' */
  protocol: string;
  /** parsed connection JSON (may carry interval_in_seconds: default 5, minimum 0.1) */
  connection: Record<string, unknown>;
}

export interface PointConfig {
  id: number;
  name: string;
  data_source_id: number;
  object_type: 'ANALOG_VALUE' | 'DIGITAL_VALUE' | 'ENERGY_VALUE' | 'BINARY_VALUE' | 'TEXT_VALUE';
  units: string | null;
  /** outside [low_limit, high_limit] the value's quality is out_of_range */
  high_limit: number | null;
  low_limit: number | null;
  /** value = raw * ratio + offset_constant */
  ratio: number;
  offset_constant: number;
  is_trend: boolean;
  is_virtual: boolean;
  /** parsed address JSON */
  address: Record<string, unknown>;
}

/** 'connecting' until the first scan of a (re)started data source succeeds or fails: neither online nor offline yet */
export type DataSourceStatus = 'connecting' | 'online' | 'offline';

export interface AcquisitionSinks {
  /** called once per completed scan of a data source (and per virtual point evaluation) */
  values(batch: ValueBatch): void;
  dataSourceStatus(id: number, status: DataSourceStatus, lastSeen: number | null): void;
}

export interface ReadNowResult {
  raw: number[] | string | null;
  value: number | string | null;
  quality: Quality;
  request?: string;
  response?: string;
  error?: string;
}

export interface WriteOutcome {
  ok: boolean;
  readback?: number | string | null;
  error?: string;
}

export interface DataSourceDiagnostics {
  data_source_id: number;
  protocol: string;
  status: DataSourceStatus;
  last_request?: string;
  last_response?: string;
  last_error?: string;
  errors: Record<string, number>;
  rtt_ms: { last: number | null; p50: number | null; p95: number | null };
  requests_per_scan: number;
  /** requests sent and answers received since the data source started */
  requests_total: number;
  responses_total: number;
  scan_duration_ms: number | null;
  points: number;
}

export interface AcquisitionService {
  /** diff and apply live: data sources and points added, changed or removed without a restart */
  configure(dataSources: DataSourceConfig[], points: PointConfig[]): void;
  /**
   * Applies what changed (null: deleted) and re-plans only the data sources those points and data sources
   * belong to, before and after the change; the other data sources keep their plans and their clocks.
   */
  update(dataSources: ReadonlyMap<number, DataSourceConfig | null>, points: ReadonlyMap<number, PointConfig | null>): void;
  start(): Promise<void>;
  /** closes every connection and clears every timer */
  stop(): Promise<void>;
  readNow(pointId: number): Promise<ReadNowResult>;
  write(pointId: number, value: number, opts?: { priority?: number }): Promise<WriteOutcome>;
  /** MQTT command path */
  publish(dataSourceId: number, topic: string, payload: string): Promise<void>;
  diagnostics(dataSourceId: number): DataSourceDiagnostics | undefined;
  latest(pointId: number): PointValue | undefined;
}

export { createAcquisitionService } from './engine';
export { validateAddress, validateConnection } from './validation';
