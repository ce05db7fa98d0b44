/**
 * Modbus TCP, RTU on a serial port and RTU over TCP, through modbus-serial.
 * Reads are planned into blocks (planner.ts); a block answered by an exception is split and the bad point
 * isolated, and the split is kept for the following scans (re-probed every REPLAN_EVERY scans).
 */
import type ModbusRTU from 'modbus-serial';
import type { PointConfig, WriteOutcome } from '../contracts';
import { decodeRegisters, encodeRegisters, FormatError, parseRegisterFormat, type RegisterFormat } from '../modbus/codec';
import { planReads, splitBlock, type PlannedItem, type ReadBlock } from '../modbus/planner';
import { validateAddress } from '../validation';
import { type Driver, type DriverContext, DriverStats, hex, type RawReading, readingOf, type Readings, type WireTrace, withTimeout } from './driver';

const REPLAN_EVERY = 100;

interface PlannedPoint {
  point: PointConfig;
  item: PlannedItem;
  format: RegisterFormat | null;
}

interface ModbusError extends Error {
  modbusCode?: number;
  errno?: string;
  code?: string;
}

const isTimeout = (e: ModbusError) => e.errno === 'ETIMEDOUT' || e.code === 'ETIMEDOUT' || /timed out/i.test(e.message);

export class ModbusDriver implements Driver {
  readonly stats = new DriverStats();
  private client: ModbusRTU | null = null;
  private planned = new Map<number, PlannedPoint>();
  private invalid = new Map<number, string>();
  private blocks: ReadBlock[] = [];
  private scans = 0;
  /** bumped by every re-plan, so a scan in flight does not put back the blocks of an older plan */
  private generation = 0;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly protocol: 'modbus-tcp' | 'modbus-rtu',
    private readonly ctx: DriverContext,
  ) {}

  async connect(): Promise<void> {
    const c = this.ctx.connection;
    // loaded with the first Modbus data source, not at start-up (modbus-serial and serialport take ~200 ms to load)
    const { default: ModbusRTU } = await import('modbus-serial');
    const client = new ModbusRTU();
    client.setTimeout(this.ctx.timeoutMs);
    const connectMs = Math.max(this.ctx.timeoutMs, 1000);
    try {
      if (this.protocol === 'modbus-tcp') {
        await withTimeout(client.connectTCP(String(c.host), { port: Number(c.port ?? 502) }), connectMs, 'connect');
      } else if (typeof c.host === 'string' && c.host) {
        // RTU frames carried over a TCP socket (a serial-to-Ethernet converter in transparent mode)
        await withTimeout(client.connectTelnet(c.host, { port: Number(c.port) }), connectMs, 'connect');
      } else {
        const parity = ({ N: 'none', E: 'even', O: 'odd' } as Record<string, string>)[String(c.parity ?? 'N')] ?? String(c.parity);
        await withTimeout(
          client.connectRTUBuffered(String(c.port), {
            baudRate: Number(c.baudrate ?? 9600),
            parity: parity as 'none',
            dataBits: Number(c.bytesize ?? 8) as 8,
            stopBits: Number(c.stopbits ?? 1) as 1,
          }),
          connectMs,
          'connect',
        );
      }
    } catch (e) {
      this.stats.error((e as ModbusError).code === 'ETIMEDOUT' ? 'timeout' : 'connection', (e as Error).message);
      try {
        client.close(() => undefined);
      } catch {
        // already closed
      }
      throw e;
    }
    client.on('close', () => {
      if (this.client === client) this.ctx.lost('connection closed by the device');
    });
    client.on('error', (e: unknown) => this.stats.error('connection', (e as Error).message));
    this.client = client;
  }

  plan(points: PointConfig[]): void {
    this.planned.clear();
    this.invalid.clear();
    for (const point of points) {
      const problem = validateAddress(this.protocol, point.address, false);
      if (problem) {
        this.invalid.set(point.id, problem);
        continue;
      }
      const a = point.address;
      const fc = a.function_code as 1 | 2 | 3 | 4;
      let format: RegisterFormat | null = null;
      try {
        if (fc >= 3) format = parseRegisterFormat(a);
      } catch (e) {
        this.invalid.set(point.id, (e as FormatError).message);
        continue;
      }
      this.planned.set(point.id, { point, format, item: { key: point.id, slave: a.slave_id as number, fc, start: a.offset as number, length: format ? format.registers : 1 } });
    }
    this.replan();
  }

  private replan(): void {
    const maxGap = typeof this.ctx.connection.max_gap === 'number' ? this.ctx.connection.max_gap : 10;
    this.blocks = planReads([...this.planned.values()].map((p) => p.item), { maxGap });
    this.generation++;
  }

  /** Requests per scan as planned now (for benchmarks and diagnostics). */
  get blockCount(): number {
    return this.blocks.length;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async request(slave: number, fc: number, start: number, length: number): Promise<{ data: number[]; buffer: Buffer }> {
    const client = this.client;
    if (!client || !client.isOpen) throw Object.assign(new Error('not connected'), { errno: 'ECONNREFUSED' });
    client.setID(slave);
    this.stats.request([slave, fc, start >> 8, start & 0xff, length >> 8, length & 0xff]);
    const t0 = performance.now();
    try {
      let data: number[];
      let buffer: Buffer;
      if (fc === 1 || fc === 2) {
        const r = fc === 1 ? await client.readCoils(start, length) : await client.readDiscreteInputs(start, length);
        data = r.data.slice(0, length).map((b) => (b ? 1 : 0));
        buffer = r.buffer;
      } else {
        const r = fc === 3 ? await client.readHoldingRegisters(start, length) : await client.readInputRegisters(start, length);
        data = r.data;
        buffer = r.buffer;
      }
      this.stats.response(buffer, performance.now() - t0);
      return { data, buffer };
    } catch (e) {
      const err = e as ModbusError;
      this.stats.error(err.modbusCode !== undefined ? `exception ${err.modbusCode}` : isTimeout(err) ? 'timeout' : 'connection', err.message);
      throw err;
    }
  }

  /** the point's raw value from the registers or bits read, or the reason there is none */
  private decodeInto(out: Readings, p: PlannedPoint, data: number[], at: number): void {
    if (!p.format) return out.add(p.point.id, data[at]);
    const v = decodeRegisters(data, at, p.format);
    if (Number.isFinite(v)) return out.add(p.point.id, v);
    this.stats.error('decode', `point ${p.point.name}: decoded value is not a finite number`);
    out.add(p.point.id, null, undefined, undefined, 'decoded value is not a finite number (NaN or infinity)');
  }

  read(out: Readings): Promise<void> {
    return this.exclusive(async () => {
      if (++this.scans % REPLAN_EVERY === 0) this.replan();
      const generation = this.generation;
      for (const [id, problem] of this.invalid) out.add(id, null, undefined, undefined, problem);
      const silentSlaves = new Set<number>();
      let requests = 0;
      let answered = 0;
      const queue = [...this.blocks];
      const next: ReadBlock[] = [];
      while (queue.length) {
        const block = queue.shift()!;
        next.push(block);
        if (silentSlaves.has(block.slave)) {
          for (const it of block.items) out.add(it.key, null, 'comm_fail', undefined, `slave ${block.slave} did not answer`);
          continue;
        }
        requests++;
        try {
          const { data } = await this.request(block.slave, block.fc, block.start, block.length);
          answered++;
          for (const it of block.items) {
            const p = this.planned.get(it.key);
            if (p) this.decodeInto(out, p, data, it.start - block.start); // else removed while this scan ran
          }
        } catch (e) {
          const err = e as ModbusError;
          if (err.modbusCode !== undefined) {
            answered++;
            const halves = splitBlock(block);
            if (halves) {
              next.pop();
              queue.unshift(...halves);
            } else {
              out.add(block.items[0].key, null, undefined, undefined, `Modbus exception ${err.modbusCode}: ${err.message}`);
            }
          } else if (isTimeout(err) && this.client?.isOpen) {
            silentSlaves.add(block.slave);
            for (const it of block.items) out.add(it.key, null, 'comm_fail', undefined, err.message);
          } else {
            throw err;
          }
        }
      }
      if (generation === this.generation) this.blocks = next;
      this.stats.requestsInLastScan = requests;
      if (requests > 0 && answered === 0) throw Object.assign(new Error('the device did not answer any request of this scan'), { code: 'ETIMEDOUT' });
    });
  }

  readOne(point: PointConfig): Promise<RawReading & WireTrace> {
    return this.exclusive(async () => {
      const problem = validateAddress(this.protocol, point.address, false);
      if (problem) return { raw: null, error: problem };
      const a = point.address;
      const fc = a.function_code as number;
      const format = fc >= 3 ? parseRegisterFormat(a) : null;
      try {
        const { data, buffer } = await this.request(a.slave_id as number, fc, a.offset as number, format ? format.registers : 1);
        const reading = readingOf((out) => this.decodeInto(out, { point, format, item: { key: point.id, slave: 0, fc: 3, start: 0, length: 0 } }, data, 0));
        return { ...reading, request: this.stats.lastRequest, response: hex(buffer), words: data };
      } catch (e) {
        return { raw: null, error: (e as Error).message, request: this.stats.lastRequest };
      }
    });
  }

  write(point: PointConfig, raw: number, _opts: { priority?: number }): Promise<WriteOutcome> {
    return this.exclusive(async () => {
      const client = this.client;
      if (!client || !client.isOpen) return { ok: false, error: 'not connected to the device' };
      const a = point.address;
      const fc = a.function_code as number;
      client.setID(a.slave_id as number);
      const offset = a.offset as number;
      try {
        if (fc === 1) {
          this.stats.request(hex([a.slave_id as number, 5, offset >> 8, offset & 0xff, raw ? 0xff : 0, 0]));
          await client.writeCoil(offset, raw !== 0);
        } else if (fc === 3) {
          const regs = encodeRegisters(raw, parseRegisterFormat(a));
          if (regs.length === 1 && a.write_function_code !== 16) {
            this.stats.request(hex([a.slave_id as number, 6, offset >> 8, offset & 0xff, regs[0] >> 8, regs[0] & 0xff]));
            await client.writeRegister(offset, regs[0]);
          } else {
            this.stats.request(hex([a.slave_id as number, 16, offset >> 8, offset & 0xff, 0, regs.length, ...regs.flatMap((r) => [r >> 8, r & 0xff])]));
            await client.writeRegisters(offset, regs);
          }
        } else {
          return { ok: false, error: `function code ${fc} addresses a read-only table (discrete inputs or input registers)` };
        }
      } catch (e) {
        const err = e as ModbusError;
        this.stats.error(err.modbusCode !== undefined ? `exception ${err.modbusCode}` : isTimeout(err) ? 'timeout' : err instanceof FormatError ? 'encode' : 'connection', err.message);
        return { ok: false, error: err.message };
      }
      return { ok: true };
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (!client) return;
    await new Promise<void>((resolve) => {
      try {
        client.close(() => resolve());
      } catch {
        resolve();
      }
      setTimeout(resolve, 500);
    });
  }
}
