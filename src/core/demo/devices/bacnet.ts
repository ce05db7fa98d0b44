/**
 * A simulated BACnet/IP device, served by @bacnet-js/client, for the demo plant and the tests: analog and binary
 * values answering ReadProperty and WriteProperty (with a priority array: the highest priority written wins).
 * It listens on 127.0.0.2, because the BACnet libraries drop requests from 127.0.0.1:47808, and alone on its port (a
 * port another program holds is an error).
 */
import { ApplicationTag, ObjectType, PropertyIdentifier } from '@bacnet-js/client';
import { bacnetLib } from '../../acquisition/drivers/bacnet-client';

export interface BacnetObject {
  type: ObjectType;
  instance: number;
  value: number;
  /** priority -> value (1 highest) */
  priorities?: Map<number, number>;
}

export interface BacnetDevice {
  address: string;
  port: number;
  objects: BacnetObject[];
  writes: { instance: number; value: number; priority: number }[];
  stop(): Promise<void>;
}

const ERROR_CLASS_OBJECT = 1;
const ERROR_CODE_UNKNOWN_OBJECT = 31;

export async function startBacnetDevice(port: number, objects: BacnetObject[], address = '127.0.0.2'): Promise<BacnetDevice> {
  const { default: BACnet } = bacnetLib();
  // the port to itself: with the library's default (SO_REUSEADDR) a second device, another demo started at the same
  // moment, bound the same address and port as well, and each request reached only one of the two
  const server = new BACnet({ interface: address, port, apduTimeout: 2000, reuseAddr: false });
  const writes: BacnetDevice['writes'] = [];
  const find = (type: number, instance: number) => objects.find((o) => o.type === type && o.instance === instance);
  server.on('readProperty', (req) => {
    const { objectId, property } = req.payload;
    const o = find(objectId.type, objectId.instance);
    const sender = req.header!.sender;
    if (!o || property.id !== PropertyIdentifier.PRESENT_VALUE) {
      server.errorResponse(sender, req.service!, req.invokeId!, ERROR_CLASS_OBJECT, ERROR_CODE_UNKNOWN_OBJECT);
      return;
    }
    const binary = o.type === ObjectType.BINARY_VALUE || o.type === ObjectType.BINARY_INPUT || o.type === ObjectType.BINARY_OUTPUT;
    server.readPropertyResponse(sender, req.invokeId!, objectId, property, [binary ? { type: ApplicationTag.ENUMERATED, value: o.value } : { type: ApplicationTag.REAL, value: o.value }]);
  });
  server.on('writeProperty', (req) => {
    const { objectId, value } = req.payload;
    const o = find(objectId.type, objectId.instance);
    const sender = req.header!.sender;
    if (!o) {
      server.errorResponse(sender, req.service!, req.invokeId!, ERROR_CLASS_OBJECT, ERROR_CODE_UNKNOWN_OBJECT);
      return;
    }
    const v = Number(value.value[0]?.value);
    const priority = value.priority || 16;
    o.priorities ??= new Map();
    o.priorities.set(priority, v);
    o.value = o.priorities.get(Math.min(...o.priorities.keys()))!;
    writes.push({ instance: o.instance, value: v, priority });
    server.simpleAckResponse(sender, req.service!, req.invokeId!);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  return {
    address,
    port,
    objects,
    writes,
    async stop() {
      server.close();
    },
  };
}
