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
    };
  });
  return { timestamp, seq: toNum(p.seq), metrics };
}

/** The bdSeq metric of an NBIRTH or NDEATH (3.0: UInt64 named bdSeq), or null when absent. */
export function bdSeqOf(p: Payload): number | null {
  return p.metrics.find((m) => m.name === 'bdSeq')?.num ?? null;
}
