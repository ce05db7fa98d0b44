/**
 * An independent Modbus TCP client (modbus-serial) reading a peer's registers the way a test checks what a device
 * holds: unit 1, reconnecting when the peer restarts.
 */
import ModbusRTU from 'modbus-serial';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ModbusReader {
  client: ModbusRTU;
  connect(): Promise<void>;
  /** a float32 big-endian holding register pair, rounded to 3 decimals */
  readFloat(offset: number): Promise<number>;
  close(): void;
}

export function modbusReader(port: () => number): ModbusReader {
  const client = new ModbusRTU();
  const connect = async () => {
    if (client.isOpen) client.close(() => undefined);
    await client.connectTCP('127.0.0.1', { port: port() });
    client.setID(1);
    client.setTimeout(2000);
  };
  return {
    client,
    connect,
    async readFloat(offset) {
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await client.readHoldingRegisters(offset, 2);
          return Math.round(r.buffer.readFloatBE(0) * 1000) / 1000;
        } catch (e) {
          if (attempt > 5) throw e;
          await sleep(200);
          await connect().catch(() => undefined);
        }
      }
    },
    close() {
      if (client.isOpen) client.close(() => undefined);
    },
  };
}
