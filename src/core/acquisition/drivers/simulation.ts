/**
 * Simulated points: waveforms computed from the clock, for commissioning without hardware and for training.
 * Address: {"waveform":"sine"|"ramp"|"square"|"random_walk"|"constant","amplitude","offset","period_s","min","max","step"}.
 * A simulated point can be written: it then holds the written value (like a setpoint register).
 */
import type { PointConfig, WriteOutcome } from '../contracts';
import { validateAddress } from '../validation';
import { addReading, type Driver, DriverStats, type RawReading, type Readings, type WireTrace } from './driver';

const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

export function waveform(address: Record<string, unknown>, t: number, previous: number | undefined): number {
  const amplitude = num(address.amplitude, 1);
  const offset = num(address.offset, 0);
  const period = num(address.period_s, 60) * 1000;
  const phase = (t % period) / period;
  switch (address.waveform) {
    case 'sine':
      return offset + amplitude * Math.sin(2 * Math.PI * phase);
    case 'ramp':
      return offset + amplitude * phase;
    case 'square':
      return offset + (phase < 0.5 ? amplitude : 0);
    case 'random_walk': {
      const min = num(address.min, offset - amplitude);
      const max = num(address.max, offset + amplitude);
      const step = num(address.step, (max - min) / 50);
      const v = (previous ?? offset) + (Math.random() * 2 - 1) * step;
      return Math.min(max, Math.max(min, v));
    }
    default:
      return offset;
  }
}

export class SimulationDriver implements Driver {
  readonly stats = new DriverStats();
  private points: PointConfig[] = [];
  private readonly last = new Map<number, number>();
  private readonly held = new Map<number, number>();

  async connect(): Promise<void> {}

  plan(points: PointConfig[]): void {
    this.points = points;
    const ids = new Set(points.map((p) => p.id));
    for (const id of this.last.keys()) if (!ids.has(id)) this.last.delete(id);
  }

  private readPoint(p: PointConfig, now: number): RawReading {
    const problem = validateAddress('simulation', p.address, false);
    if (problem) return { raw: null, error: problem };
    const held = this.held.get(p.id);
    const v = held ?? waveform(p.address, now, this.last.get(p.id));
    this.last.set(p.id, v);
    return { raw: v, ts: now };
  }

  async read(out: Readings): Promise<void> {
    const now = Date.now();
    for (const p of this.points) addReading(out, p.id, this.readPoint(p, now));
    this.stats.requestsInLastScan = 0;
  }

  async readOne(point: PointConfig): Promise<RawReading & WireTrace> {
    return this.readPoint(point, Date.now());
  }

  async write(point: PointConfig, raw: number): Promise<WriteOutcome> {
    this.held.set(point.id, raw);
    return { ok: true };
  }

  async close(): Promise<void> {}
}
