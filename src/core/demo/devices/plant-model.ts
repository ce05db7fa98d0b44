/**
 * The physics of the demo plant, stepped once a second: PV follows a sun curve over the local day, the two
 * buildings' loads wander (Building B with an evening peak around 18:00), EV chargers draw power while cars are
 * plugged in, the battery ramps to its power setpoint, its SOC integrates its power and it stops when empty or full, the grid covers the difference, and the
 * meters count energy. A breaker that is open takes its feeder's power to zero.
 */

export type Breaker = 'main' | 'pv' | 'battery' | 'ev' | 'buildingA' | 'buildingB';

export interface EvCharger {
  id: number;
  plugged: boolean;
  power_kw: number;
  soc: number;
}

export class PlantModel {
  readonly breakers: Record<Breaker, boolean> = { main: true, pv: true, battery: true, ev: true, buildingA: true, buildingB: true };
  /** battery power setpoint in kW, positive = discharge */
  batterySetpointKw = 0;
  pvKw = 0;
  batteryKw = 0;
  soc = 55;
  buildingAKw = 70;
  buildingBKw = 50;
  readonly chargers: EvCharger[] = [
    { id: 1, plugged: true, power_kw: 11, soc: 40 },
    { id: 2, plugged: false, power_kw: 0, soc: 0 },
  ];
  gridKw = 0;
  busbarV = 400;
  gridImportKwh = 125_000;
  pvKwh = 48_000;
  private lastStep = Date.now();

  static readonly PV_PEAK_KW = 120;
  static readonly BATTERY_KWH = 200;
  static readonly BATTERY_MAX_KW = 100;

  get evKw(): number {
    return this.chargers.reduce((s, c) => s + c.power_kw, 0);
  }

  step(now = Date.now()): void {
    const dt = Math.min(10, Math.max(0, (now - this.lastStep) / 1000));
    this.lastStep = now;
    const d = new Date(now);
    const hour = d.getHours() + d.getMinutes() / 60 + d.getSeconds() / 3600;
    const sun = Math.max(0, Math.sin((Math.PI * (hour - 6)) / 12));
    const cloud = 0.85 + 0.15 * Math.sin(now / 47_000) * Math.sin(now / 13_000);
    this.pvKw = this.breakers.pv && this.breakers.main ? PlantModel.PV_PEAK_KW * sun * cloud : 0;

    const wander = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v + (Math.random() - 0.5) * 3));
    this.buildingAKw = this.breakers.buildingA ? wander(this.buildingAKw || 70, 45, 95) : 0;
    // Building B has its daily peak in the evening (kitchens, HVAC): up to +95 kW around 18:00
    const peak = 95 * Math.exp(-(((hour - 18) / 1.3) ** 2));
    const targetB = 50 + peak;
    this.buildingBKw = this.breakers.buildingB ? wander((this.buildingBKw || targetB) + (targetB - (this.buildingBKw || targetB)) * 0.2, 25, 170) : 0;

    // cars arrive and leave every few minutes
    for (const c of this.chargers) {
      if (!c.plugged && Math.random() < dt / 240) Object.assign(c, { plugged: true, soc: 20 + Math.random() * 40 });
      if (c.plugged && (c.soc >= 95 || Math.random() < dt / 900)) Object.assign(c, { plugged: false });
      c.power_kw = c.plugged && this.breakers.ev ? 11 : 0;
      if (c.plugged) c.soc = Math.min(100, c.soc + (c.power_kw * dt) / 3600 / 0.6);
    }

    let battery = this.breakers.battery ? Math.max(-PlantModel.BATTERY_MAX_KW, Math.min(PlantModel.BATTERY_MAX_KW, this.batterySetpointKw)) : 0;
    // the battery stops when empty or full (the controllers keep it inside their SOC floor and ceiling)
    if (battery > 0 && this.soc <= 0) battery = 0;
    if (battery < 0 && this.soc >= 100) battery = 0;
    // the battery ramps towards its setpoint at 20 kW/s
    const ramp = 20 * dt;
    this.batteryKw += Math.max(-ramp, Math.min(ramp, battery - this.batteryKw));
    this.soc = Math.min(100, Math.max(0, this.soc - (this.batteryKw * dt) / 3600 / PlantModel.BATTERY_KWH * 100));

    const load = this.buildingAKw + this.buildingBKw + this.evKw;
    this.gridKw = this.breakers.main ? load - this.pvKw - this.batteryKw : 0;
    this.busbarV = this.breakers.main ? 400 + (Math.random() - 0.5) * 4 - this.gridKw * 0.01 : 0;
    if (this.gridKw > 0) this.gridImportKwh += (this.gridKw * dt) / 3600;
    this.pvKwh += (this.pvKw * dt) / 3600;
  }
}
