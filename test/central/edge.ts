/**
 * A minimal Sparkplug B edge node for the tests, built only from Eclipse Tahu's `sparkplug-payload` and the mqtt
 * package (not from the code under test): NBIRTH/NDEATH with bdSeq (NDEATH as the MQTT will), DBIRTH/DDEATH,
 * NDATA/DDATA by alias with seq 0..255, historical values, and a log of the NCMDs the host sends it.
 */
import mqtt, { type MqttClient } from 'mqtt';
import sparkplug from 'sparkplug-payload';
import type { UMetric } from 'sparkplug-payload/lib/sparkplugbpayload';

export const codec = sparkplug.get('spBv1.0')!;

export interface EdgeMetric {
  name: string;
  alias: number;
  type: 'Double' | 'Int32' | 'Boolean' | 'String';
  value: number | boolean | string;
  unit?: string;
  /** the birth's Writable property (a host may write the metric) */
  writable?: boolean;
}

export class TestEdge {
  client!: MqttClient;
  seq = 0;
  bdSeq = 0;
  readonly commands: { topic: string; metrics: UMetric[] }[] = [];

  constructor(
    readonly brokerUrl: string,
    readonly group: string,
    readonly node: string,
  ) {}

  topic(type: string, device?: string) {
    return `spBv1.0/${this.group}/${type}/${this.node}${device ? `/${device}` : ''}`;
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 256;
    return s;
  }

  async connect(): Promise<void> {
    const death = codec.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'bdSeq', type: 'UInt64', value: this.bdSeq }] });
    this.client = await mqtt.connectAsync(this.brokerUrl, {
      clientId: `test-edge-${this.node}-${Math.random().toString(16).slice(2, 8)}`,
      clean: true,
      reconnectPeriod: 0,
      will: { topic: this.topic('NDEATH'), payload: Buffer.from(death), qos: 1, retain: false },
    });
    this.client.on('message', (topic, payload) => this.commands.push({ topic, metrics: (codec.decodePayload(payload).metrics ?? []) as UMetric[] }));
    await this.client.subscribeAsync([this.topic('NCMD'), `spBv1.0/${this.group}/DCMD/${this.node}/#`], { qos: 1 });
  }

  private async send(topic: string, metrics: UMetric[], seq: number | null = this.nextSeq(), timestamp = Date.now()): Promise<void> {
    const payload = codec.encodePayload({ timestamp, ...(seq === null ? {} : { seq }), metrics });
    await this.client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
  }

  static birthMetrics(metrics: EdgeMetric[], at = Date.now()): UMetric[] {
    return metrics.map((m) => {
      const properties: NonNullable<UMetric['properties']> = {};
      if (m.unit) properties.engUnit = { type: 'String', value: m.unit };
      if (m.writable !== undefined) properties.Writable = { type: 'Boolean', value: m.writable };
      return { name: m.name, alias: m.alias, type: m.type, value: m.value, timestamp: at, ...(Object.keys(properties).length ? { properties } : {}) };
    });
  }

  async nbirth(metrics: EdgeMetric[]): Promise<void> {
    this.seq = 0;
    await this.send(this.topic('NBIRTH'), [{ name: 'bdSeq', type: 'UInt64', value: this.bdSeq }, { name: 'Node Control/Rebirth', type: 'Boolean', value: false }, ...TestEdge.birthMetrics(metrics)]);
  }

  dbirth(device: string, metrics: EdgeMetric[]): Promise<void> {
    return this.send(this.topic('DBIRTH', device), TestEdge.birthMetrics(metrics));
  }

  /** values by alias; `seq` forces a sequence number (a gap) */
  data(device: string | null, values: { alias: number; type: EdgeMetric['type']; value: number | boolean | string; timestamp?: number; historical?: boolean; quality?: number }[], seq?: number): Promise<void> {
    const metrics: UMetric[] = values.map((v) => ({
      alias: v.alias,
      type: v.type,
      value: v.value,
      timestamp: v.timestamp ?? Date.now(),
      ...(v.historical ? { isHistorical: true } : {}),
      // the Sparkplug Quality property (192 good, 500 stale, 0 bad), as Ignition and Switchyard's edge send it
      ...(v.quality !== undefined ? { properties: { Quality: { type: 'Int32', value: v.quality } } } : {}),
    }));
    if (seq !== undefined) this.seq = (seq + 1) % 256;
    return this.send(device ? this.topic('DDATA', device) : this.topic('NDATA'), metrics, seq ?? this.nextSeq());
  }

  ddeath(device: string): Promise<void> {
    return this.send(this.topic('DDEATH', device), []);
  }

  ndeath(bdSeq = this.bdSeq): Promise<void> {
    return this.send(this.topic('NDEATH'), [{ name: 'bdSeq', type: 'UInt64', value: bdSeq }], null);
  }

  async end(): Promise<void> {
    await this.client?.endAsync(true).catch(() => undefined);
  }
}
