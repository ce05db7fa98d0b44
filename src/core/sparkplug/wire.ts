/**
 * Sparkplug B 3.0 wire format for the edge node: topics, data types, the quality property and the payloads
 * (NBIRTH, DBIRTH, NDATA, DDATA, NDEATH), encoded with Eclipse Tahu's `sparkplug-payload`. No MQTT and no
 * SQLite here: the publisher (edge.ts) decides what to send, this file only says how it looks on the wire.
 */
import { createRequire } from 'node:module';
import type { UMetric, UPayload, UPropertyValue, TypeStr } from 'sparkplug-payload/lib/sparkplugbpayload';
import type { Quality } from '../values/bus';

type Codec = ReturnType<typeof import('sparkplug-payload').get> & object;
let loaded: Codec | null = null;
/** The protobuf codec, loaded on the first payload (sparkplug-payload and protobufjs cost seconds to load on a busy machine). */
const codec = (): Codec => (loaded ??= (createRequire(import.meta.url)('sparkplug-payload') as typeof import('sparkplug-payload')).get('spBv1.0')!);

export const NAMESPACE = 'spBv1.0';
export type MessageType = 'NBIRTH' | 'NDEATH' | 'DBIRTH' | 'DDEATH' | 'NDATA' | 'DDATA' | 'NCMD' | 'DCMD';

/** Group, edge node and device ids are MQTT topic levels: no '/', '+' or '#' (Sparkplug 3.0, topic namespace). */
export const INVALID_ID_CHARS = /[/+#]/;

export function topic(group: string, type: MessageType, node: string, device?: string): string {
  return `${NAMESPACE}/${group}/${type}/${node}${device === undefined ? '' : `/${device}`}`;
}

/** The Sparkplug 3.0 host STATE topic. */
export const stateTopic = (hostId: string) => `${NAMESPACE}/STATE/${hostId}`;

/** A device id made from a data source's name: the characters a topic level forbids become '_'. */
export function deviceId(name: string): string {
  const s = name.trim().replace(/[/+#]/g, '_');
  return s === '' ? '_' : s;
}

/** Sparkplug "Quality" property values (as Ignition and the spec's examples use them). */
export const SPB_QUALITY = { bad: 0, good: 192, stale: 500 } as const;

export function spbQuality(q: Quality): number {
  if (q === 'good' || q === 'manual' || q === 'out_of_range') return SPB_QUALITY.good;
  if (q === 'stale') return SPB_QUALITY.stale;
  return SPB_QUALITY.bad;
}

/** A point's Sparkplug data type, from its object type. */
export function pointType(objectType: string): TypeStr {
  switch (objectType) {
    case 'BINARY_VALUE':
      return 'Boolean';
    case 'DIGITAL_VALUE':
      return 'Int32';
    case 'TEXT_VALUE':
      return 'String';
    default:
      return 'Double';
  }
}

/** A value as the metric's data type carries it; null when it does not fit (sent with is_null). */
export function wireValue(type: TypeStr, v: number | string | null): number | boolean | string | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'Boolean':
      return typeof v === 'number' ? v !== 0 : v === 'true' || v === '1';
    case 'Int32': {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isFinite(n) ? Math.round(n) : null;
    }
    case 'String':
      return String(v);
    default: {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isFinite(n) ? n : null;
    }
  }
}

/** Inverse of wireValue for commands: what a host sent, as a number a point is written with. */
export function commandValue(m: UMetric): number | null {
  const v = m.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return null;
}

/** One metric value to send (a point's, or a node event's). */
export interface MetricValue {
  /** the point id (its alias), or null for node metrics sent by name */
  alias: number | null;
  name?: string;
  type: TypeStr;
  value: number | boolean | string | null;
  ts: number;
  /** our quality; sent as the Quality property when not good or when it changed */
  quality?: Quality;
  withQuality?: boolean;
}

/** A metric's full description for a birth certificate. */
export interface BirthMetric extends MetricValue {
  name: string;
  properties: Record<string, UPropertyValue>;
}

function qualityProps(q: Quality): Record<string, UPropertyValue> {
  const p: Record<string, UPropertyValue> = { Quality: { type: 'Int32', value: spbQuality(q) } };
  if (q !== 'good') p['Switchyard Quality'] = { type: 'String', value: q };
  return p;
}

function dataMetric(m: MetricValue, historical: boolean): UMetric {
  const out: UMetric = { type: m.type, value: m.value, timestamp: m.ts };
  if (m.alias !== null) out.alias = m.alias;
  else out.name = m.name;
  if (historical) out.isHistorical = true;
  if (m.withQuality && m.quality) out.properties = qualityProps(m.quality);
  return out;
}

export function encodeData(seq: number, metrics: MetricValue[], historical: boolean, now = Date.now()): Uint8Array {
  return codec().encodePayload({ timestamp: now, seq, metrics: metrics.map((m) => dataMetric(m, historical)) } as UPayload);
}

export function encodeBirth(seq: number, metrics: BirthMetric[], now = Date.now()): Uint8Array {
  return codec().encodePayload({
    timestamp: now,
    seq,
    metrics: metrics.map((m) => {
      const out: UMetric = { name: m.name, type: m.type, value: m.value, timestamp: m.ts, properties: { ...m.properties, ...(m.quality ? qualityProps(m.quality) : {}) } };
      if (m.alias !== null) out.alias = m.alias;
      return out;
    }),
  } as UPayload);
}

/** The NDEATH (the MQTT will): only the bdSeq metric, no seq (Sparkplug 3.0). */
export function encodeDeath(bdSeq: number, now = Date.now()): Uint8Array {
  return codec().encodePayload({ timestamp: now, metrics: [{ name: 'bdSeq', type: 'Int64', value: bdSeq }] } as UPayload);
}

/**
 * Historical device metrics encoded once, when they are held in the outbox: a Payload of only its metrics
 * (is_historical, Quality only when not good). `withHeader` appends the timestamp and seq when it is sent: protobuf
 * merges concatenated messages into one (repeated metrics append, the scalars come from the header).
 */
export function encodeHeld(metrics: MetricValue[]): Uint8Array {
  return codec().encodePayload({ metrics: metrics.map((m) => dataMetric(m, true)) } as UPayload);
}

export function withHeader(seq: number, held: Uint8Array, now = Date.now()): Uint8Array {
  return Buffer.concat([held, codec().encodePayload({ timestamp: now, seq } as UPayload)]);
}

/** Metrics as decoded (e.g. from a held payload), encoded again with a header. */
export function encodeMetrics(seq: number, metrics: UMetric[], now = Date.now()): Uint8Array {
  return codec().encodePayload({ timestamp: now, seq, metrics } as UPayload);
}

/** A DDEATH: a device lost by its edge node; seq continues the node's sequence, no metrics (Sparkplug 3.0). */
export function encodeDeviceDeath(seq: number, now = Date.now()): Uint8Array {
  return codec().encodePayload({ timestamp: now, seq, metrics: [] } as UPayload);
}

export const bdSeqMetric = (bdSeq: number, now: number): BirthMetric => ({ alias: null, name: 'bdSeq', type: 'Int64', value: bdSeq, ts: now, properties: {} });

export function decode(payload: Uint8Array): UPayload {
  return codec().decodePayload(payload);
}

export type { UMetric, UPayload, TypeStr };
