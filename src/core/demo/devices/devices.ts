/**
 * The demo plant's devices, speaking real protocols on loopback: a Modbus TCP PLC (modbus-serial's server)
 * and an MQTT broker (aedes) on which the EV chargers publish JSON. The demo's data sources poll them through
 * the real drivers, exactly as they would poll a site.
 *
 * Modbus register map of the PLC (unit 1; holding registers are float32 big-endian, format ">f"):
 *
 * | offset | point               | units | access |
 * |-------:|---------------------|-------|--------|
 * | 0      | Grid Power          | kW    | read (import positive) |
 * | 2      | PV Power            | kW    | read |
 * | 4      | Battery Power       | kW    | read (discharge positive) |
 * | 6      | Battery SOC         | %     | read |
 * | 8      | Building A Power    | kW    | read |
 * | 10     | Building B Power    | kW    | read |
 * | 12     | EV Power            | kW    | read |
 * | 14     | Busbar Voltage      | V     | read |
 * | 16     | Grid Import Energy  | kWh   | read |
 * | 18     | PV Energy           | kWh   | read |
 * | 20     | Battery Setpoint    | kW    | read/write (FC16), -100..100 |
 *
 * Coils (FC1 read, FC5 write), 1 = closed: 0 Main Breaker, 1 PV Breaker, 2 Battery Breaker, 3 EV Breaker,
 * 4 Building A Breaker, 5 Building B Breaker.
 *
 * MQTT: `demo/ev/<n>` every second, `{"power_kw":11,"soc":54.2,"plugged":true}` for chargers 1 and 2.
 *
 * BACnet/IP (127.0.0.2, port 47808 if free): analogValue 1 Building A temperature (°C, drifts towards the
 * setpoint while the heat pump runs), analogValue 2 Building A setpoint (writable), analogValue 3 Outdoor
 * temperature, binaryValue 1 Heat pump running.
 */
import net from 'node:net';
import type { BacnetDevice, BacnetObject } from './bacnet';
import { type Breaker, PlantModel } from './plant-model';

export interface DemoRegister {
  name: string;
  offset: number;
  units: string;
  low_limit?: number;
  high_limit?: number;
  writable?: boolean;
  object_type?: 'ANALOG_VALUE' | 'ENERGY_VALUE';
}

export const DEMO_REGISTERS: DemoRegister[] = [
  { name: 'Grid Power', offset: 0, units: 'kW', low_limit: -300, high_limit: 300 },
  { name: 'PV Power', offset: 2, units: 'kW', low_limit: 0, high_limit: 130 },
  { name: 'Battery Power', offset: 4, units: 'kW', low_limit: -100, high_limit: 100 },
  { name: 'Battery SOC', offset: 6, units: '%', low_limit: 0, high_limit: 100 },
  { name: 'Building A Power', offset: 8, units: 'kW', low_limit: 0, high_limit: 120 },
  { name: 'Building B Power', offset: 10, units: 'kW', low_limit: 0, high_limit: 180 },
  { name: 'EV Power', offset: 12, units: 'kW', low_limit: 0, high_limit: 50 },
  { name: 'Busbar Voltage', offset: 14, units: 'V', low_limit: 360, high_limit: 440 },
  { name: 'Grid Import Energy', offset: 16, units: 'kWh', object_type: 'ENERGY_VALUE' },
  { name: 'PV Energy', offset: 18, units: 'kWh', object_type: 'ENERGY_VALUE' },
  { name: 'Battery Setpoint', offset: 20, units: 'kW', low_limit: -100, high_limit: 100, writable: true },
];

export const DEMO_COILS: { name: string; offset: number; breaker: Breaker }[] = [
  { name: 'Main Breaker', offset: 0, breaker: 'main' },
  { name: 'PV Breaker', offset: 1, breaker: 'pv' },
  { name: 'Battery Breaker', offset: 2, breaker: 'battery' },
  { name: 'EV Breaker', offset: 3, breaker: 'ev' },
  { name: 'Building A Breaker', offset: 4, breaker: 'buildingA' },
  { name: 'Building B Breaker', offset: 5, breaker: 'buildingB' },
];

export const DEMO_BACNET_OBJECTS = [
  { name: 'Building A Temperature', object_type: 'analogValue', object_id: 1, units: '°C', low_limit: 15, high_limit: 27 },
  { name: 'Building A Setpoint', object_type: 'analogValue', object_id: 2, units: '°C', low_limit: 16, high_limit: 26 },
  { name: 'Outdoor Temperature', object_type: 'analogValue', object_id: 3, units: '°C', low_limit: -30, high_limit: 45 },
  { name: 'Heat Pump Running', object_type: 'binaryValue', object_id: 1, units: '', low_limit: 0, high_limit: 1 },
] as const;

export const DEMO_EV_TOPICS = [1, 2].map((n) => ({ name: `EV Charger ${n} Power`, topic: `demo/ev/${n}`, json_path: 'power_kw' }));

function registersOf(model: PlantModel): Float32Array {
  return new Float32Array([
    model.gridKw,
    model.pvKw,
    model.batteryKw,
    model.soc,
    model.buildingAKw,
    model.buildingBKw,
    model.evKw,
    model.busbarV,
    model.gridImportKwh,
    model.pvKwh,
    model.batterySetpointKw,
  ]);
}

/** The 16-bit word at a register offset (float32 big-endian, two words per value). */
function wordAt(values: Float32Array, offset: number): number {
  const index = offset >> 1;
  if (index >= values.length) throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 });
  const buf = Buffer.alloc(4);
  buf.writeFloatBE(values[index]);
  return offset % 2 === 0 ? buf.readUInt16BE(0) : buf.readUInt16BE(2);
}

export interface DemoDevices {
  modbusPort: number;
  mqttPort: number;
  /** null when 127.0.0.2 could not be bound: the demo runs without its BACnet device */
  bacnetPort: number | null;
  model: PlantModel;
  stop(): Promise<void>;
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/**
 * The PLC's Modbus server on `port`, or on a free one when that is taken. It is started there and its own listening
 * or error decides (a port probed free and then bound is a race another demo starting at the same moment can win,
 * and the loser's data source then read the winner's PLC); modbus-serial's server cannot take port 0 (it means 502).
 */
async function startPlc(ServerTCP: typeof import('modbus-serial').ServerTCP, vector: object, port: number): Promise<{ server: InstanceType<typeof ServerTCP>; port: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const p = attempt === 0 && port ? port : await freeTcpPort();
    const server = new ServerTCP(vector as never, { host: '127.0.0.1', port: p, unitID: 1 });
    const ok = await new Promise<boolean>((resolve) => {
      server.once('initialized', () => resolve(true));
      server.once('serverError', () => resolve(false));
    });
    if (ok) return { server, port: p };
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  throw new Error('the demo PLC found no free port on 127.0.0.1');
}

async function freeTcpPort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe, 0);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Starts the devices on the given ports (0 or a port in use: an ephemeral one); answers the ports in use. */
async function startDemoBacnet(port: number, log: (line: string) => void): Promise<BacnetDevice | null> {
  const [{ ObjectType }, { startBacnetDevice }] = await Promise.all([import('@bacnet-js/client'), import('./bacnet')]);
  const objects: BacnetObject[] = [
    { type: ObjectType.ANALOG_VALUE, instance: 1, value: 20.5 },
    { type: ObjectType.ANALOG_VALUE, instance: 2, value: 21 },
    { type: ObjectType.ANALOG_VALUE, instance: 3, value: 8 },
    { type: ObjectType.BINARY_VALUE, instance: 1, value: 1 },
  ];
  const spare = () => 47900 + Math.floor(Math.random() * 90);
  for (const p of [port || 47808, spare(), spare(), spare()]) {
    try {
      return await startBacnetDevice(p, objects);
    } catch (e) {
      log(`demo devices: BACnet device cannot listen on 127.0.0.2:${p} (${(e as Error).message})`);
    }
  }
  return null;
}

/** Room temperature follows the setpoint while the heat pump runs; the outdoor temperature follows the day. */
function stepHvac(device: BacnetDevice, now: number): void {
  const [room, setpoint, outdoor, pump] = device.objects;
  const hour = new Date(now).getHours() + new Date(now).getMinutes() / 60;
  outdoor.value = 8 + 6 * Math.sin((Math.PI * (hour - 9)) / 12);
  const target = pump.value ? setpoint.value : outdoor.value;
  room.value += (target - room.value) * 0.02 + (Math.random() - 0.5) * 0.05;
  if (room.value < setpoint.value - 0.5) pump.value = 1;
  else if (room.value > setpoint.value + 0.5) pump.value = 0;
}

export async function startDemoDevices(opts: { modbusPort: number; mqttPort: number; bacnetPort?: number; log?: (line: string) => void }): Promise<DemoDevices> {
  const log = opts.log ?? (() => undefined);
  // the devices' libraries load with --demo only: a server without the demo plant never pays for them at start-up
  const [{ ServerTCP }, { Aedes }] = await Promise.all([import('modbus-serial'), import('aedes')]);
  const model = new PlantModel();
  model.step();
  let registers = registersOf(model);
  const pendingSetpoint: number[] = [];

  const vector = {
    getHoldingRegister: (addr: number) => wordAt(registers, addr),
    getMultipleHoldingRegisters: (addr: number, length: number) => Array.from({ length }, (_, i) => wordAt(registers, addr + i)),
    getCoil: (addr: number) => {
      const c = DEMO_COILS.find((x) => x.offset === addr);
      if (!c) throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 });
      return model.breakers[c.breaker];
    },
    setCoil: (addr: number, value: boolean) => {
      const c = DEMO_COILS.find((x) => x.offset === addr);
      if (!c) throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 });
      model.breakers[c.breaker] = value;
      model.step();
      registers = registersOf(model);
    },
    setRegister: (addr: number, value: number) => {
      // the setpoint is a float32 in registers 20-21: collect both words (FC16 writes them one by one)
      if (addr !== 20 && addr !== 21) throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 });
      pendingSetpoint[addr - 20] = value;
      if (pendingSetpoint[0] !== undefined && pendingSetpoint[1] !== undefined) {
        const buf = Buffer.alloc(4);
        buf.writeUInt16BE(pendingSetpoint[0], 0);
        buf.writeUInt16BE(pendingSetpoint[1], 2);
        const kw = buf.readFloatBE(0);
        pendingSetpoint.length = 0;
        if (Number.isFinite(kw)) {
          model.batterySetpointKw = Math.max(-PlantModel.BATTERY_MAX_KW, Math.min(PlantModel.BATTERY_MAX_KW, kw));
          registers = registersOf(model);
        }
      }
    },
  };
  const { server: modbus, port: modbusPort } = await startPlc(ServerTCP, vector, opts.modbusPort);
  modbus.on('socketError', () => undefined);
  modbus.on('serverError', (e: unknown) => log(`demo PLC: ${(e as Error)?.message}`));

  const broker = await Aedes.createBroker();
  const mqttServer = net.createServer(broker.handle);
  const mqttPort = await listen(mqttServer, opts.mqttPort).catch(() => listen(mqttServer, 0));

  const bacnet = await startDemoBacnet(opts.bacnetPort ?? 47808, log);

  const timer = setInterval(() => {
    model.step();
    if (bacnet) stepHvac(bacnet, Date.now());
    registers = registersOf(model);
    for (const c of model.chargers) {
      broker.publish(
        { cmd: 'publish', topic: `demo/ev/${c.id}`, payload: Buffer.from(JSON.stringify({ power_kw: c.power_kw, soc: Math.round(c.soc * 10) / 10, plugged: c.plugged })), qos: 0, retain: true, dup: false },
        () => undefined,
      );
    }
  }, 1000);

  log(`demo devices: Modbus TCP PLC on 127.0.0.1:${modbusPort}, MQTT broker on 127.0.0.1:${mqttPort}${bacnet ? `, BACnet device on 127.0.0.2:${bacnet.port}` : ''}`);
  return {
    modbusPort,
    mqttPort,
    bacnetPort: bacnet?.port ?? null,
    model,
    async stop() {
      clearInterval(timer);
      await bacnet?.stop();
      await new Promise<void>((resolve) => modbus.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => mqttServer.close(() => resolve()));
    },
  };
}
