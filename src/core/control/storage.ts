/**
 * Storage controllers, one set per storage system (`storagecontrols`), run before every arbiter cycle in a fixed
 * priority order; each places its wish on the battery's setpoint as a request, so each sees the result of the
 * ones above it when the arbiter resolves the stack (constraints narrow, the first value wins):
 *
 * 1. SOC limits (safety, a constraint): rated power both ways; no discharge at or below max(soc_floor,
 *    backup_reserve), no charge at or above soc_ceiling; an unknown SOC holds the battery at 0. It bounds every
 *    writer, operators and demand response included.
 * 2. Peak shaving (a constraint): the setpoint is at least (import without the battery - import_limit), so the
 *    import stays at the limit; it forces a discharge above the limit and keeps every charge below it.
 * 3. Schedules (a value): the container's or microgrid's schedule for the local time of day.
 * 4. Time of use (a value): charge when the price is cheap, discharge when it is expensive (the site's tariff,
 *    or a demand-response PRICE signal while one runs).
 * 5. Recharge (a value, lowest): recharge while the import without the battery is below recharge_below.
 */
import type { Store } from '../store/store';
import type { ValueBus } from '../values/bus';
import { type Arbiter, PRIORITY } from './arbiter';
import { inPeriod, loadTariff, localTime, type Tariff, tariffPeriodAt, zoneOf } from './timeofday';

interface StorageRow {
  id: number;
  name: string;
  energy_storage_container_id: number | null;
  microgrid_id: number | null;
  setpoint_point_id: number;
  soc_point_id: number;
  battery_power_point_id: number | null;
  grid_power_point_id: number | null;
  timezone_id: number | null;
  tariff_id: number | null;
  rated_power: number;
  soc_floor: number | null;
  soc_ceiling: number | null;
  backup_reserve: number | null;
  peak_shaving: number;
  import_limit: number | null;
  recharge_below: number | null;
  schedules: number;
  time_of_use: number;
  tou_charge_power: number | null;
  tou_discharge_power: number | null;
  tou_charge_at_or_below: number | null;
  tou_discharge_at_or_above: number | null;
}

interface Schedule {
  start_time_of_day: string;
  end_time_of_day: string;
  peak_type: string;
  power: number;
}

interface StorageConfig extends StorageRow {
  zone: string;
  tariff: Tariff | null;
  /** the tariff's lowest and highest prices (time of use's default thresholds) */
  lowest: number | null;
  highest: number | null;
  schedule: Schedule[];
  owners: Record<ControllerName, string>;
  actor: { userId: null; name: string };
}

export type ControllerName = 'soc_limits' | 'peak_shaving' | 'schedule' | 'time_of_use' | 'recharge';
export const CONTROLLER_ORDER: ControllerName[] = ['soc_limits', 'peak_shaving', 'schedule', 'time_of_use', 'recharge'];

export interface ControllerState {
  controller: ControllerName;
  enabled: boolean;
  /** the controller has a request on the setpoint now */
  active: boolean;
  /** the value it asks for (a constraint's bound for the constraints) */
  value: number | null;
  text: string;
}

export interface StorageStatus {
  id: number;
  name: string;
  setpoint_point_id: number;
  soc: number | null;
  grid_kw: number | null;
  battery_kw: number | null;
  zone: string;
  price: { value: number; unit: string; source: string } | null;
  controllers: ControllerState[];
  at: number;
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const kw = (n: number) => `${r1(Math.abs(n))} kW`;

/** Price signals from demand response (PRICE events) per setpoint point: they feed time of use, never a setpoint. */
export interface PriceSignal {
  price: number;
  expires: number;
  reason: string;
}

export class StorageControllers {
  private configs: StorageConfig[] | null = null;
  private readonly status = new Map<number, StorageStatus>();
  private readonly prices = new Map<number, Map<string, PriceSignal>>();

  constructor(
    private readonly store: Store,
    private readonly values: ValueBus,
    private readonly arbiter: Arbiter,
  ) {}

  /** Configuration changed: reload before the next cycle. */
  invalidate(): void {
    this.configs = null;
  }

  setPrice(pointId: number, owner: string, signal: PriceSignal): void {
    let m = this.prices.get(pointId);
    if (!m) this.prices.set(pointId, (m = new Map()));
    m.set(owner, signal);
  }

  /** Drops every price signal whose owner starts with the prefix and is not in `keep`. */
  clearPricesExcept(prefix: string, keep: Set<string>): void {
    for (const m of this.prices.values()) for (const owner of [...m.keys()]) if (owner.startsWith(prefix) && !keep.has(owner)) m.delete(owner);
  }

  /** The live price signal on a setpoint point, if any. */
  priceOn(pointId: number, now: number): PriceSignal | undefined {
    const m = this.prices.get(pointId);
    if (!m || m.size === 0) return undefined;
    return [...m.values()].filter((p) => p.expires > now).at(-1);
  }

  statusOf(id: number): StorageStatus | undefined {
    return this.status.get(id);
  }

  all(): StorageStatus[] {
    return [...this.status.values()];
  }

  private load(): StorageConfig[] {
    if (this.configs) return this.configs;
    const rows = this.store.db.prepare('SELECT * FROM storage_controls ORDER BY id').all() as StorageRow[];
    this.configs = rows.map((r) => {
      let tariffId = r.tariff_id;
      if (tariffId === null && r.energy_storage_container_id !== null) {
        const t = this.store.db.prepare('SELECT l.target_id AS id FROM energy_storage_containers c JOIN rel_cost_centers_tariffs l ON l.owner_id = c.cost_center_id JOIN tariffs t ON t.id = l.target_id WHERE c.id = ? AND t.tariff_type = \'timeofuse\' ORDER BY t.valid_from DESC LIMIT 1').get(r.energy_storage_container_id) as { id: number } | undefined;
        tariffId = t?.id ?? null;
      }
      const schedule = [
        ...(r.energy_storage_container_id !== null ? (this.store.db.prepare('SELECT start_time_of_day, end_time_of_day, peak_type, power FROM energy_storage_container_schedules WHERE energy_storage_container_id = ? ORDER BY start_time_of_day').all(r.energy_storage_container_id) as Schedule[]) : []),
        ...(r.microgrid_id !== null ? (this.store.db.prepare('SELECT start_time_of_day, end_time_of_day, peak_type, power FROM microgrid_schedules WHERE microgrid_id = ? ORDER BY start_time_of_day').all(r.microgrid_id) as Schedule[]) : []),
      ];
      const tariff = tariffId !== null ? loadTariff(this.store, tariffId) : null;
      const prices = tariff?.periods.map((p) => p.price) ?? [];
      return {
        ...r,
        zone: zoneOf(this.store, r.timezone_id), tariff, lowest: prices.length ? Math.min(...prices) : null, highest: prices.length ? Math.max(...prices) : null, schedule,
        owners: Object.fromEntries(CONTROLLER_ORDER.map((n) => [n, `storage:${r.id}:${n}`])) as Record<ControllerName, string>,
        actor: { userId: null, name: `storage controller ${r.name}` },
      };
    });
    const ids = new Set(this.configs.map((c) => c.id));
    for (const id of [...this.status.keys()]) if (!ids.has(id)) this.status.delete(id);
    return this.configs;
  }

  private good(pointId: number | null): number | null {
    if (pointId === null) return null;
    const v = this.values.latest(pointId);
    return v && (v.quality === 'good' || v.quality === 'manual' || v.quality === 'out_of_range') && typeof v.value === 'number' ? v.value : null;
  }

  private put(c: StorageConfig, n: ControllerName, priority: number, value: number | undefined, min: number | undefined, reason: string, expires: number, keep: Set<string>): void {
    const owner = c.owners[n];
    keep.add(owner);
    this.arbiter.upsert({ pointId: c.setpoint_point_id, value, min, priority, source: 'storage', owner, actor: c.actor, reason, expires });
  }

  private putLimits(c: StorageConfig, min: number, max: number, reason: string, expires: number, keep: Set<string>): void {
    const owner = c.owners.soc_limits;
    keep.add(owner);
    this.arbiter.upsert({ pointId: c.setpoint_point_id, min, max, priority: PRIORITY.safety, source: 'safety', owner, actor: c.actor, reason, expires });
  }

  /** The before-cycle hook: every storage system's controllers place, refresh or withdraw their requests. */
  run(now: number): void {
    const configs = this.load();
    const zones = new Map<string, ReturnType<typeof localTime>>();
    const lease = now + Math.max(5000, this.arbiter.cycleMs * 3);
    const keep = new Set<string>();
    for (const c of configs) {
      const states: ControllerState[] = [];
      const soc = this.good(c.soc_point_id);
      const grid = this.good(c.grid_power_point_id);
      const battery = this.good(c.battery_power_point_id) ?? this.good(c.setpoint_point_id) ?? 0;
      const rated = c.rated_power;
      const floor = Math.max(c.soc_floor ?? 10, c.backup_reserve ?? 0);
      const ceiling = c.soc_ceiling ?? 95;

      // 1. SOC limits
      {
        let min = -rated;
        let max = rated;
        let text: string;
        if (soc === null) {
          min = 0;
          max = 0;
          text = 'SOC unknown: battery held at 0 kW';
        } else {
          const notes: string[] = [];
          if (soc <= floor) {
            max = 0;
            notes.push(`no discharge: SOC ${r1(soc)} % ≤ floor ${floor} %`);
          }
          if (soc >= ceiling) {
            min = 0;
            notes.push(`no charge: SOC ${r1(soc)} % ≥ ceiling ${ceiling} %`);
          }
          text = notes.length ? notes.join('; ') : `SOC ${r1(soc)} % within ${floor}–${ceiling} %: ±${rated} kW`;
        }
        this.putLimits(c, min, max, text, lease, keep);
        states.push({ controller: 'soc_limits', enabled: true, active: true, value: null, text });
      }

      // 2. peak shaving, and 5. recharge
      const netLoad = grid === null ? null : Math.round((grid + battery) * 100) / 100;
      if (c.peak_shaving && c.import_limit !== null && netLoad !== null) {
        const need = Math.round((netLoad - c.import_limit) * 100) / 100;
        const text = need > 0 ? `discharging ${kw(need)}: import ${r1(netLoad)} kW > limit ${c.import_limit} kW` : `holding: import ${r1(netLoad)} kW ≤ limit ${c.import_limit} kW (charge at most ${kw(need)})`;
        this.put(c, 'peak_shaving', PRIORITY.peakShaving, undefined, need, text, lease, keep);
        states.push({ controller: 'peak_shaving', enabled: true, active: true, value: need, text });
      } else {
        states.push({ controller: 'peak_shaving', enabled: Boolean(c.peak_shaving), active: false, value: null, text: !c.peak_shaving ? 'off' : netLoad === null ? 'grid power unknown: not shaving' : 'no import limit set' });
      }

      // 3. schedules
      let local = zones.get(c.zone);
      if (!local) zones.set(c.zone, (local = localTime(now, c.zone)));
      if (c.schedules) {
        const s = c.schedule.find((p) => inPeriod(local.seconds, p.start_time_of_day, p.end_time_of_day));
        if (s) {
          const text = `${s.power >= 0 ? 'discharging' : 'charging'} ${kw(s.power)}: schedule ${s.start_time_of_day}–${s.end_time_of_day} (${s.peak_type}, ${local.zone})`;
          this.put(c, 'schedule', PRIORITY.schedule, s.power, undefined, text, lease, keep);
          states.push({ controller: 'schedule', enabled: true, active: true, value: s.power, text });
        } else states.push({ controller: 'schedule', enabled: true, active: false, value: null, text: `no schedule period at ${local.iso.slice(11)} (${local.zone})` });
      } else states.push({ controller: 'schedule', enabled: false, active: false, value: null, text: 'off' });

      // 4. time of use
      let price: StorageStatus['price'] = null;
      const signal = this.priceOn(c.setpoint_point_id, now);
      const period = c.tariff ? tariffPeriodAt(c.tariff, local) : null;
      if (signal) price = { value: signal.price, unit: c.tariff?.unit ?? '', source: signal.reason };
      else if (period && c.tariff) price = { value: period.price, unit: c.tariff.unit, source: `${c.tariff.name}, ${period.peak_type}` };
      if (c.time_of_use) {
        const low = c.tou_charge_at_or_below ?? c.lowest;
        const high = c.tou_discharge_at_or_above ?? c.highest;
        let value: number | null = null;
        let text: string;
        if (!price) text = 'no price now (no time-of-use tariff or signal)';
        else if (high !== null && price.value >= high) {
          value = c.tou_discharge_power ?? rated;
          text = `discharging ${kw(value)}: price ${price.value} ≥ ${high} (${price.source})`;
        } else if (low !== null && price.value <= low) {
          value = -(c.tou_charge_power ?? rated);
          text = `charging ${kw(value)}: price ${price.value} ≤ ${low} (${price.source})`;
        } else text = `idle: price ${price.value} between ${low ?? '-'} and ${high ?? '-'} (${price.source})`;
        if (value !== null) this.put(c, 'time_of_use', PRIORITY.timeOfUse, value, undefined, text, lease, keep);
        states.push({ controller: 'time_of_use', enabled: true, active: value !== null, value, text });
      } else states.push({ controller: 'time_of_use', enabled: false, active: false, value: null, text: 'off' });

      if (c.peak_shaving && c.recharge_below !== null && netLoad !== null && netLoad < c.recharge_below) {
        const value = -Math.min(rated, c.recharge_below - netLoad);
        const text = `recharging ${kw(value)}: import ${r1(netLoad)} kW < ${c.recharge_below} kW`;
        this.put(c, 'recharge', PRIORITY.recharge, value, undefined, text, lease, keep);
        states.push({ controller: 'recharge', enabled: true, active: true, value, text });
      } else states.push({ controller: 'recharge', enabled: Boolean(c.peak_shaving && c.recharge_below !== null), active: false, value: null, text: c.peak_shaving && c.recharge_below !== null ? 'not recharging' : 'off' });

      this.status.set(c.id, { id: c.id, name: c.name, setpoint_point_id: c.setpoint_point_id, soc, grid_kw: grid, battery_kw: battery, zone: c.zone, price, controllers: states, at: now });
    }
    this.arbiter.withdrawExcept('storage:', keep);
  }
}
