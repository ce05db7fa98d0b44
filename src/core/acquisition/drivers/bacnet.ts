/**
 * BACnet/IP through @bacnet-js/client: ReadProperty of each point's presentValue, WriteProperty with a
 * priority for commands. Connection: {"device_address":"192.168.1.20","port":47808,"local_port":0};
 * address: {"object_type":"analogValue","object_id":3,"property_name":"presentValue","property_array_index":null}.
 */
import dgram from 'node:dgram';
import type { ObjectType } from '@bacnet-js/client';
import { type BACnetClient as BACnet, bacnetLib } from './bacnet-client';
import type { PointConfig, WriteOutcome } from '../contracts';
import { validateAddress } from '../validation';
import { addReading, type Driver, type DriverContext, DriverStats, type RawReading, type Readings, type WireTrace } from './driver';

/** The object types by their address name; the library is loaded with the first data source that needs it. */
let TYPES: Record<string, ObjectType> | null = null;
const types = (): Record<string, ObjectType> => {
  if (TYPES) return TYPES;
  const { ObjectType } = bacnetLib();
  return (TYPES = {
    analogInput: ObjectType.ANALOG_INPUT,
    analogOutput: ObjectType.ANALOG_OUTPUT,
    analogValue: ObjectType.ANALOG_VALUE,
    binaryInput: ObjectType.BINARY_INPUT,
    binaryOutput: ObjectType.BINARY_OUTPUT,
    binaryValue: ObjectType.BINARY_VALUE,
    multiStateInput: ObjectType.MULTI_STATE_INPUT,
    multiStateOutput: ObjectType.MULTI_STATE_OUTPUT,
    multiStateValue: ObjectType.MULTI_STATE_VALUE,
  });
};

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const isBinary = (t: ObjectType, { ObjectType } = bacnetLib()) => t === ObjectType.BINARY_INPUT || t === ObjectType.BINARY_OUTPUT || t === ObjectType.BINARY_VALUE;
const isMultiState = (t: ObjectType, { ObjectType } = bacnetLib()) => t === ObjectType.MULTI_STATE_INPUT || t === ObjectType.MULTI_STATE_OUTPUT || t === ObjectType.MULTI_STATE_VALUE;

export class BacnetDriver implements Driver {
  readonly stats = new DriverStats();
  private client: BACnet | null = null;
  private points: PointConfig[] = [];

  constructor(private readonly ctx: DriverContext) {}

  private get receiver() {
    const c = this.ctx.connection;
    const host = String(c.device_address ?? c.host);
    return { address: `${host}:${Number(c.port ?? 47808)}` };
  }

  async connect(): Promise<void> {
    const c = this.ctx.connection;
    // the library takes port 0 for "47808"; a client shares no port with devices on the same host, so it gets a free one
    const localPort = typeof c.local_port === 'number' && c.local_port > 0 ? c.local_port : await freeUdpPort();
    const { default: BACnetClient } = bacnetLib();
    const client = new BACnetClient({ port: localPort, interface: typeof c.local_address === 'string' ? c.local_address : undefined, apduTimeout: this.ctx.timeoutMs });
    client.on('error', (e: Error) => this.stats.error('connection', e.message));
    await new Promise<void>((resolve, reject) => {
      client.once('listening', () => resolve());
      client.once('error', reject);
    });
    this.client = client;
    // UDP has no connection: the device is "there" when it answers
    if (this.points.length) await this.readOne(this.points[0]).then((r) => {
      if (r.quality === 'comm_fail') throw new Error(r.error ?? 'the BACnet device does not answer');
    });
  }

  plan(points: PointConfig[]): void {
    this.points = points;
  }

  private objectOf(p: PointConfig) {
    return { type: types()[String(p.address.object_type)], instance: Number(p.address.object_id) };
  }

  async readOne(p: PointConfig): Promise<RawReading & WireTrace> {
    const problem = validateAddress('bacnet-ip', p.address, false);
    if (problem) return { raw: null, error: problem };
    if (!this.client) return { raw: null, quality: 'comm_fail', error: 'not started' };
    const objectId = this.objectOf(p);
    const index = typeof p.address.property_array_index === 'number' ? { arrayIndex: p.address.property_array_index } : {};
    this.stats.request(`ReadProperty ${String(p.address.object_type)}:${objectId.instance} presentValue`);
    const t0 = performance.now();
    try {
      const r = await this.client.readProperty(this.receiver, objectId, bacnetLib().PropertyIdentifier.PRESENT_VALUE, index);
      const v = r.values[0]?.value as unknown;
      this.stats.response(`value ${JSON.stringify(v)}`, performance.now() - t0);
      const n = typeof v === 'boolean' ? Number(v) : Number(v);
      return Number.isFinite(n) ? { raw: n } : { raw: null, error: 'presentValue is not a number' };
    } catch (e) {
      const msg = (e as Error).message;
      const timeout = /timeout/i.test(msg);
      this.stats.error(timeout ? 'timeout' : 'error', msg);
      return timeout ? { raw: null, quality: 'comm_fail', error: msg } : { raw: null, error: msg };
    }
  }

  async read(out: Readings): Promise<void> {
    let answered = 0;
    for (const p of this.points) {
      const r = await this.readOne(p);
      if (r.quality !== 'comm_fail') answered++;
      addReading(out, p.id, r);
    }
    this.stats.requestsInLastScan = this.points.length;
    if (this.points.length && answered === 0) throw Object.assign(new Error('the BACnet device did not answer any request of this scan'), { code: 'ETIMEDOUT' });
  }

  async write(p: PointConfig, raw: number, opts: { priority?: number }): Promise<WriteOutcome> {
    if (!this.client) return { ok: false, error: 'not started' };
    const objectId = this.objectOf(p);
    const { ApplicationTag } = bacnetLib();
    const value = isBinary(objectId.type) ? { type: ApplicationTag.ENUMERATED, value: raw ? 1 : 0 } : isMultiState(objectId.type) ? { type: ApplicationTag.UNSIGNED_INTEGER, value: Math.round(raw) } : { type: ApplicationTag.REAL, value: raw };
    const priority = opts.priority ?? 16;
    this.stats.request(`WriteProperty ${String(p.address.object_type)}:${objectId.instance} presentValue=${raw} priority ${priority}`);
    try {
      await this.client.writeProperty(this.receiver, objectId, bacnetLib().PropertyIdentifier.PRESENT_VALUE, [value as never], { priority });
      return { ok: true };
    } catch (e) {
      this.stats.error('write', (e as Error).message);
      return { ok: false, error: (e as Error).message };
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    c?.close();
  }
}
