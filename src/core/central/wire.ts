/**
 * Sparkplug B 3.0 wire format as a host application sees it: topic names, payloads decoded with Eclipse Tahu's
 * `sparkplug-payload`, metric values turned into plain numbers or text, the host's STATE message (JSON, not
 * protobuf, in 3.0) and the Rebirth command.
 */
import { createRequire } from 'node:module';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload';
import type { Quality } from '../../shared/live';

export const NAMESPACE = 'spBv1.0';
type Codec = ReturnType<typeof import('sparkplug-payload').get> & object;
let loaded: Codec | null = null;
/** The protobuf codec, loaded on the first payload (sparkplug-payload and protobufjs cost seconds to load on a busy machine). */
const codec = (): Codec => (loaded ??= (createRequire(import.meta.url)('sparkplug-payload') as typeof import('sparkplug-payload')).get(NAMESPACE)!);

export type MessageType = 'NBIRTH' | 'NDEATH' | 'DBIRTH' | 'DDEATH' | 'NDATA' | 'DDATA' | 'NCMD' | 'DCMD';
const TYPES = new Set<MessageType>(['NBIRTH', 'NDEATH', 'DBIRTH', 'DDEATH', 'NDATA', 'DDATA', 'NCMD', 'DCMD']);

export interface SparkplugTopic {
  group: string;
  type: MessageType;
  node: string;
  /** '' for node-level messages */
  device: string;
}

/** `spBv1.0/{group}/{type}/{node}[/{device}]`; null for anything else (STATE, other namespaces, malformed). */
export function parseTopic(topic: string): SparkplugTopic | null {
  const parts = topic.split('/');
  if (parts[0] !== NAMESPACE || parts.length < 4 || parts.length > 5) return null;
  const [, group, type, node, device = ''] = parts;
  if (!TYPES.has(type as MessageType) || !group || !node) return null;
  const isDevice = type.startsWith('D');
  if (isDevice !== (parts.length === 5) || (isDevice && !device)) return null;
  return { group, type: type as MessageType, node, device };
}

export const stateTopic = (hostId: string) => `${NAMESPACE}/STATE/${hostId}`;
export const groupFilter = (group: string) => `${NAMESPACE}/${group}/#`;
export const ncmdTopic = (group: string, node: string) => `${NAMESPACE}/${group}/NCMD/${node}`;
export const dcmdTopic = (group: string, node: string, device: string) => `${NAMESPACE}/${group}/DCMD/${node}/${device}`;

/** Sparkplug datatypes whose value is a whole number, with their range; Float/Double are numbers; Boolean, String, Text. */
const INTEGER_RANGE: Record<string, [number, number]> = {
  Int8: [-128, 127],
  Int16: [-32_768, 32_767],
  Int32: [-2_147_483_648, 2_147_483_647],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UInt8: [0, 255],
  UInt16: [0, 65_535],
  UInt32: [0, 4_294_967_295],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * The value a command carries for a metric of `datatype`, from what an API caller sent; a string naming what is
 * wrong when it does not fit the type (numbers for numeric types, whole and in range for integers, true/false or
 * 0/1 for Boolean, text for String/Text). Other types (DateTime, DataSet, Template, Bytes...) are not writable here.
 */
export function commandValueFor(datatype: string, v: unknown): { value: number | boolean | string } | { error: string } {
  if (datatype === 'Boolean') {
    if (typeof v === 'boolean') return { value: v };
    if (v === 0 || v === 1) return { value: v === 1 };
    return { error: 'value must be true or false (or 1/0) for a Boolean metric' };
  }
  if (datatype === 'String' || datatype === 'Text') return typeof v === 'string' ? { value: v } : { error: `value must be text for a ${datatype} metric` };
  const n = typeof v === 'number' ? v : NaN;
  if (datatype === 'Float' || datatype === 'Double') return Number.isFinite(n) ? { value: n } : { error: `value must be a number for a ${datatype} metric` };
  const range = INTEGER_RANGE[datatype];
  if (!range) return { error: `a ${datatype} metric cannot be written from the central server` };
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) return { error: `value must be a whole number from ${range[0]} to ${range[1]} for a ${datatype} metric` };
  return { value: n };
}

/**
 * An NCMD/DCMD writing one metric: by alias when the birth gave one (3.0: data and commands then carry the alias
 * only), else by name; the birth's datatype; the command's time.
 */
export function commandPayload(metric: { name: string; alias: number | null; datatype: string }, value: number | boolean | string, now = Date.now()): Buffer {
  const m = metric.alias !== null ? { alias: metric.alias, type: metric.datatype, value, timestamp: now } : { name: metric.name, type: metric.datatype, value, timestamp: now };
  return Buffer.from(codec().encodePayload({ timestamp: now, metrics: [m as never] }));
}

/** Sparkplug 3.0 host STATE payload: UTF-8 JSON, the same timestamp in the birth and in the will of one session. */
export const statePayload = (online: boolean, timestamp: number) => JSON.stringify({ online, timestamp });

/** The NCMD asking an edge node to publish its births again. */
export function rebirthPayload(now = Date.now()): Buffer {
  return Buffer.from(codec().encodePayload({ timestamp: now, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true, timestamp: now }] }));
}

/** A metric as the host uses it: value as a number (numbers, booleans, date-times) or as text, else null. */
export interface Metric {
  name: string | null;
  alias: number | null;
  datatype: string;
  /** ms since the epoch: the metric's own timestamp, else the payload's */
  ts: number;
  num: number | null;
  text: string | null;
  historical: boolean;
  isNull: boolean;
  unit: string | null;
  /** the Quality property (and Switchyard's own `Switchyard Quality`); null when absent (good to a host) */
  quality: Quality | null;
  /** the birth's `Writable` property (a host may write it); null when the birth does not say */
  writable?: boolean | null;
}

export interface Payload {
  timestamp: number | null;
  seq: number | null;
  metrics: Metric[];
}

type LongLike = { toNumber(): number };
const isLong = (v: unknown): v is LongLike => typeof v === 'object' && v !== null && typeof (v as LongLike).toNumber === 'function';
const toNum = (v: unknown): number | null => (typeof v === 'number' ? v : isLong(v) ? v.toNumber() : null);

function valueOf(m: UMetric): { num: number | null; text: string | null } {
  const v = m.value;
  if (m.isNull || v === null || v === undefined) return { num: null, text: null };
  if (typeof v === 'boolean') return { num: v ? 1 : 0, text: null };
  if (typeof v === 'number') return Number.isFinite(v) ? { num: v, text: null } : { num: null, text: String(v) };
  if (isLong(v)) return { num: v.toNumber(), text: null };
  if (typeof v === 'string') return { num: null, text: v };
  // DataSet, Template, Bytes, File: named in the catalog, their content is not kept
  return { num: null, text: null };
}

function unitOf(m: UMetric): string | null {
  const props = m.properties ?? {};
  for (const key of ['engUnit', 'engUnits', 'unit', 'units']) {
    const p = props[key];
    if (p && typeof p.value === 'string') return p.value;
  }
  return null;
}

const QUALITIES = new Set<string>(['good', 'bad', 'stale', 'comm_fail', 'out_of_range', 'manual']);

/** Sparkplug's Quality property (OPC codes: 192 good, 0 bad, 500 stale; below 64 bad, 64-191 uncertain), refined by `Switchyard Quality` */
function qualityOf(m: UMetric): Quality | null {
  const props = m.properties ?? {};
  const own = props['Switchyard Quality']?.value;
  if (typeof own === 'string' && QUALITIES.has(own)) return own as Quality;
  const code = toNum(props.Quality?.value);
  if (code === null) return null;
  if (code === 500) return 'stale';
  return code >= 192 ? 'good' : code >= 64 ? 'stale' : 'bad';
}

/** Decodes a Sparkplug B payload; throws on bytes that are not one. */
export function decode(bytes: Uint8Array): Payload {
  const p: UPayload = codec().decodePayload(bytes);
  const timestamp = toNum(p.timestamp);
  const metrics: Metric[] = (p.metrics ?? []).map((m) => {
    const { num, text } = valueOf(m);
    return {
      name: m.name ?? null,
      alias: toNum(m.alias),
      datatype: String(m.type ?? 'Unknown'),
      ts: toNum(m.timestamp) ?? timestamp ?? Date.now(),
      num,
      text,
      historical: m.isHistorical === true,
      isNull: m.isNull === true || (num === null && text === null),
      unit: unitOf(m),
      quality: qualityOf(m),
      writable: typeof m.properties?.Writable?.value === 'boolean' ? (m.properties.Writable.value as boolean) : null,
    };
  });
  return { timestamp, seq: toNum(p.seq), metrics };
}

/** The bdSeq metric of an NBIRTH or NDEATH (3.0: UInt64 named bdSeq), or null when absent. */
export function bdSeqOf(p: Payload): number | null {
  return p.metrics.find((m) => m.name === 'bdSeq')?.num ?? null;
}
