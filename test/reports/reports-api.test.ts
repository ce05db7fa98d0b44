import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { buildPlant, DAILY, dayCost, dayEnergy, dayMax, riseM1, riseM2, type Plant, reportClient, type Json } from './fixture';

let rt: TestRuntime;
let plant: Plant;


const { get, ok } = reportClient(() => rt);

const both = (f: (rise: (h: number) => number, d: number) => number, d: number) => f(riseM1, d) + f(riseM2, d);

beforeAll(async () => {
  rt = await startTestRuntime();
  plant = await buildPlant(rt);
}, 60_000);
afterAll(async () => {
  await rt?.stop();
});

describe('space reports in MyEMS shape, numbers from the energy pipeline', () => {
  it('spaceenergycategory: daily values, null for the day without data, subtotals, kgce/kgco2e, increment rate, child spaces', async () => {
    const r = await ok(`spaceenergycategory?spaceid=${plant.site}&${DAILY}&quickmode=true`);
    const { kgce, kgco2e } = plant.electricity;
    expect(r.space).toMatchObject({ name: 'Site', area: 200 });
    const rp = r.reporting_period;
    expect(rp.names).toEqual(['Electricity']);
    expect(rp.energy_category_ids).toEqual([plant.electricity.id]);
    expect(rp.units).toEqual(['kWh']);
    expect(rp.timestamps).toEqual([['2026-03-02', '2026-03-03', '2026-03-04']]);
    const d1 = both(dayEnergy, 1);
    const d2 = both(dayEnergy, 2);
    expect(rp.values[0][0]).toBeCloseTo(d1, 6);
    expect(rp.values[0][1]).toBeCloseTo(d2, 6);
    expect(rp.values[0][2]).toBeNull();
    expect(rp.subtotals[0]).toBeCloseTo(d1 + d2, 6);
    expect(rp.missing_periods).toEqual([1]);
    // the pipeline counts missing meter-hours: two meters, one day
    expect(rp.missing_hours).toEqual([48]);
    expect(rp.subtotals_in_kgce[0]).toBeCloseTo((d1 + d2) * kgce, 6);
    expect(rp.total_in_kgco2e).toBeCloseTo((d1 + d2) * kgco2e, 6);
    expect(rp.subtotals_per_unit_area[0]).toBeCloseTo((d1 + d2) / 200, 6);
    const b0 = both(dayEnergy, 0);
    expect(r.base_period.timestamps).toEqual([['2026-03-01']]);
    expect(r.base_period.values[0][0]).toBeCloseTo(b0, 6);
    expect(r.base_period.total_in_kgce).toBeCloseTo(b0 * kgce, 6);
    expect(rp.increment_rates[0]).toBeCloseTo((d1 + d2 - b0) / b0, 9);
    expect(rp.rates[0][0]).toBeCloseTo((d1 - b0) / b0, 9);
    expect(rp.rates[0][1]).toBeNull();
    expect(r.child_space.child_space_names_array).toEqual([['Hall']]);
    expect(r.child_space.subtotals_array[0][0]).toBeCloseTo(dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2), 6);
    expect(r).not.toHaveProperty('excel_bytes_base64');
  }, 120_000);

  it('spacecost and spacecarbon: time-of-use cost and carbon per day, totals with the currency', async () => {
    const c = await ok(`spacecost?spaceid=${plant.hall}&${DAILY}&quickmode=true`);
    expect(c.reporting_period.units).toEqual(['EUR']);
    expect(c.reporting_period.total_unit).toBe('EUR');
    expect(c.reporting_period.values[0][0]).toBeCloseTo(dayCost(riseM1, 1), 6);
    expect(c.reporting_period.values[0][1]).toBeCloseTo(dayCost(riseM1, 2), 6);
    expect(c.reporting_period.values[0][2]).toBeNull();
    expect(c.reporting_period.total).toBeCloseTo(dayCost(riseM1, 1) + dayCost(riseM1, 2), 6);
    expect(c.base_period.total).toBeCloseTo(dayCost(riseM1, 0), 6);
    expect(c.reporting_period.total_increment_rate).toBeCloseTo((dayCost(riseM1, 1) + dayCost(riseM1, 2) - dayCost(riseM1, 0)) / dayCost(riseM1, 0), 9);

    const k = await ok(`spacecarbon?spaceid=${plant.hall}&${DAILY}&quickmode=true`);
    expect(k.reporting_period.values[0][0]).toBeCloseTo(dayEnergy(riseM1, 1) * plant.electricity.kgco2e, 6);
    expect(k.reporting_period.total).toBeCloseTo((dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2)) * plant.electricity.kgco2e, 6);
  }, 120_000);

  it('spaceload and spacestatistics: hourly maximum, average load, factor; mean/median/min/max of the known days', async () => {
    const l = await ok(`spaceload?spaceid=${plant.site}&${DAILY}&quickmode=true`);
    const rp = l.reporting_period;
    expect(rp.sub_maximums[0][0]).toBeCloseTo(Math.max(...Array.from({ length: 24 }, (_, k) => riseM1(24 + k) + riseM2(24 + k))), 9);
    expect(rp.sub_averages[0][0]).toBeCloseTo(both(dayEnergy, 1) / 24, 9);
    expect(rp.sub_averages[0][2]).toBeNull();
    expect(rp.averages[0]).toBeCloseTo((both(dayEnergy, 1) + both(dayEnergy, 2)) / 48, 9);
    expect(rp.factors[0]).toBeCloseTo(rp.averages[0] / rp.maximums[0], 9);
    expect(rp.sub_maximums[0][0]).toBeGreaterThanOrEqual(dayMax(riseM1, 1));

    const s = await ok(`spacestatistics?spaceid=${plant.site}&${DAILY}&quickmode=true`);
    const d1 = both(dayEnergy, 1);
    const d2 = both(dayEnergy, 2);
    expect(s.reporting_period.means[0]).toBeCloseTo((d1 + d2) / 2, 9);
    expect(s.reporting_period.medians[0]).toBeCloseTo((d1 + d2) / 2, 9);
    expect(s.reporting_period.minimums[0]).toBeCloseTo(Math.min(d1, d2), 9);
    expect(s.reporting_period.maximums[0]).toBeCloseTo(Math.max(d1, d2), 9);
    expect(s.reporting_period.stdevs[0]).toBeCloseTo(Math.abs(d1 - d2) / 2, 9);
  }, 120_000);

  it('an hourly report over the spring-forward day has 23 hours', async () => {
    const r = await ok(`spaceenergycategory?spaceid=${plant.site}&periodtype=hourly&reportingperiodstartdatetime=2026-03-29T00:00:00&reportingperiodenddatetime=2026-03-30T00:00:00&quickmode=true`);
    const ts: string[] = r.reporting_period.timestamps[0];
    expect(ts).toHaveLength(23);
    expect(ts).not.toContain('2026-03-29T02:00:00');
    expect(r.reporting_period.values[0].every((v: number | null) => v === null)).toBe(true);
    expect(r.reporting_period.missing_hours).toEqual([2 * 23]);
  }, 120_000);
});

describe('meter, equipment and dashboard reports', () => {
  it('meterenergy / metercost / metercarbon of M1', async () => {
    const e = await ok(`meterenergy?meterid=${plant.m1}&${DAILY}&quickmode=true`);
    expect(e.meter).toMatchObject({ energy_category_name: 'Electricity', unit_of_measure: 'kWh' });
    expect(e.reporting_period.timestamps).toEqual(['2026-03-02', '2026-03-03', '2026-03-04']);
    expect(e.reporting_period.values[0]).toBeCloseTo(dayEnergy(riseM1, 1), 6);
    expect(e.reporting_period.values[2]).toBeNull();
    expect(e.reporting_period.total_in_category).toBeCloseTo(dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2), 6);
    expect(e.reporting_period.total_in_kgco2e).toBeCloseTo((dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2)) * plant.electricity.kgco2e, 6);
    expect(e.base_period.total_in_category).toBeCloseTo(dayEnergy(riseM1, 0), 6);
    expect(e.reporting_period.increment_rate).toBeCloseTo((dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2) - dayEnergy(riseM1, 0)) / dayEnergy(riseM1, 0), 9);
    expect(e.reporting_period.missing_periods).toBe(1);

    const c = await ok(`metercost?meterid=${plant.m1}&${DAILY}&quickmode=true`);
    expect(c.reporting_period.values[1]).toBeCloseTo(dayCost(riseM1, 2), 6);
    const k = await ok(`metercarbon?meterid=${plant.m1}&${DAILY}&quickmode=true`);
    expect(k.reporting_period.values[0]).toBeCloseTo(dayEnergy(riseM1, 1) * plant.electricity.kgco2e, 6);

    const t = await ok(`metertrend?meterid=${plant.m1}&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-02T06:00:00&quickmode=true`);
    expect(t.reporting_period.timestamps[0]).toEqual(['2026-03-02T00:00:00', '2026-03-02T01:00:00', '2026-03-02T02:00:00', '2026-03-02T03:00:00', '2026-03-02T04:00:00', '2026-03-02T05:00:00']);
    expect(t.reporting_period.values[0]).toEqual([0, 1, 2, 3].map((k2) => riseM1(24 + k2)).concat([riseM1(28), riseM1(29)]));
  }, 120_000);

  it('equipmentenergycategory and the bill of the same numbers by a uuid', async () => {
    const e = await ok(`equipmentenergycategory?equipmentid=${plant.equipment}&${DAILY}&quickmode=true`);
    expect(e.equipment.name).toBe('Chiller');
    expect(e.reporting_period.values[0][1]).toBeCloseTo(dayEnergy(riseM1, 2), 6);
    const uuid = (await rt.api<{ uuid: string }>('GET', `/equipments/${plant.equipment}`)).body.uuid;
    const byUuid = await ok(`equipmentcost?equipmentuuid=${uuid}&${DAILY}&quickmode=true`);
    expect(byUuid.reporting_period.total).toBeCloseTo(dayCost(riseM1, 1) + dayCost(riseM1, 2), 6);
  }, 120_000);

  it('dashboard: the administrator sees the top-level spaces', async () => {
    const d = await ok(`dashboard?${DAILY}&quickmode=true`);
    expect(d.reporting_period_input.subtotals[0]).toBeCloseTo(both(dayEnergy, 1) + both(dayEnergy, 2), 6);
    expect(d.reporting_period_cost.total).toBeCloseTo(both(dayCost, 1) + both(dayCost, 2), 6);
    expect(d.child_space_input.child_space_names_array[0]).toEqual(['Site']);
  }, 120_000);
});

describe('tenant, store, combined equipment, shopfloor and the tenant bill', () => {
  it('tenantenergycategory, tenantbill, storecarbon, combinedequipmentstatistics and shopfloorcost of the meters bound to them', async () => {
    const must = async <T>(method: string, route: string, data: unknown) => {
      const r = await rt.api<T>(method, route, data);
      expect(r.status, `${route} ${JSON.stringify(r.body)}`).toBe(201);
      return r.body;
    };
    const contact = await must<{ id: number }>('POST', '/contacts', { name: 'Facility desk', email: 'desk@plant.test', phone: '+49 30 1234' });
    const type = await must<{ id: number }>('POST', '/tenanttypes', { name: 'Office', simplified_code: 'OF' });
    const tenant = await must<{ id: number }>('POST', '/tenants', {
      name: 'Acme',
      buildings: 'A',
      floors: '2',
      rooms: '201',
      area: 40,
      tenant_type_id: type.id,
      is_input_counted: true,
      is_key_tenant: false,
      lease_number: 'L-1',
      lease_start_datetime: '2026-01-01T00:00:00',
      lease_end_datetime: '2027-01-01T00:00:00',
      is_in_lease: true,
      contact_id: contact.id,
      cost_center_id: plant.costCenter,
    });
    await must('POST', `/tenants/${tenant.id}/meters`, { meter_id: plant.m1 });
    await must('POST', `/spaces/${plant.hall}/tenants`, { tenant_id: tenant.id });
    const floor = await must<{ id: number }>('POST', '/shopfloors', { name: 'Line 1', area: 80, is_input_counted: true, contact_id: contact.id, cost_center_id: plant.costCenter });
    await must('POST', `/shopfloors/${floor.id}/meters`, { meter_id: plant.m2 });
    await must('POST', `/spaces/${plant.site}/shopfloors`, { shopfloor_id: floor.id });
    await (rt.ctx.services.get('energy') as { settled(): Promise<void> }).settled();

    const t = await ok(`tenantenergycategory?tenantid=${tenant.id}&${DAILY}&quickmode=true`);
    expect(t.tenant).toMatchObject({ name: 'Acme', area: 40 });
    expect(t.reporting_period.values[0][0]).toBeCloseTo(dayEnergy(riseM1, 1), 6);
    expect(t.reporting_period.subtotals_per_unit_area[0]).toBeCloseTo((dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2)) / 40, 9);
    const bill = await ok(`tenantbill?tenantid=${tenant.id}&reportingperiodstartdatetime=2026-03-01T00:00:00&reportingperiodenddatetime=2026-04-01T00:00:00&quickmode=true`);
    expect(bill.tenant).toMatchObject({ name: 'Acme', lease_number: 'L-1', email: 'desk@plant.test' });
    expect(bill.reporting_period.subtotals_input[0]).toBeCloseTo([0, 1, 2].reduce((a, d) => a + dayEnergy(riseM1, d), 0), 6);
    expect(bill.reporting_period.total_cost).toBeCloseTo([0, 1, 2].reduce((a, d) => a + dayCost(riseM1, d), 0), 6);
    expect(bill.reporting_period.currency_unit).toBe('EUR');
    const storeType = await must<{ id: number }>('POST', '/storetypes', { name: 'Retail', simplified_code: 'RT' });
    const store = await must<{ id: number }>('POST', '/stores', { name: 'Kiosk', address: 'Main street 1', area: 20, store_type_id: storeType.id, is_input_counted: true, contact_id: contact.id, cost_center_id: plant.costCenter });
    await must('POST', `/stores/${store.id}/meters`, { meter_id: plant.m2 });
    await must('POST', `/spaces/${plant.site}/stores`, { store_id: store.id });
    const combined = await must<{ id: number }>('POST', '/combinedequipments', { name: 'Plant room', is_input_counted: true, is_output_counted: false, cost_center_id: plant.costCenter });
    await must('POST', `/combinedequipments/${combined.id}/equipments`, { equipment_id: plant.equipment });
    await must('POST', `/spaces/${plant.hall}/combinedequipments`, { combined_equipment_id: combined.id });
    await (rt.ctx.services.get('energy') as { settled(): Promise<void> }).settled();
    const st = await ok(`storecarbon?storeid=${store.id}&${DAILY}&quickmode=true`);
    expect(st.store.name).toBe('Kiosk');
    expect(st.reporting_period.values[0][0]).toBeCloseTo(dayEnergy(riseM2, 1) * plant.electricity.kgco2e, 6);
    const ce = await ok(`combinedequipmentstatistics?combinedequipmentid=${combined.id}&${DAILY}&quickmode=true`);
    expect(ce.combined_equipment.name).toBe('Plant room');
    expect(ce.reporting_period.maximums[0]).toBeCloseTo(Math.max(dayEnergy(riseM1, 1), dayEnergy(riseM1, 2)), 6);

    const f = await ok(`shopfloorcost?shopfloorid=${floor.id}&${DAILY}&quickmode=true`);
    expect(f.shopfloor.name).toBe('Line 1');
    expect(f.reporting_period.values[0][1]).toBeCloseTo(dayCost(riseM2, 2), 6);
    expect(f.reporting_period.total).toBeCloseTo(dayCost(riseM2, 1) + dayCost(riseM2, 2), 6);
  }, 120_000);
});

describe('output, income and efficiency of equipment (output meters)', () => {
  it('an equipment with M1 as input and M2 as output: equipmentoutput, equipmentincome and equipmentefficiency', async () => {
    const eq = await rt.api<{ id: number }>('POST', '/equipments', { name: 'Converter', is_input_counted: true, is_output_counted: true, cost_center_id: plant.costCenter });
    expect(eq.status, JSON.stringify(eq.body)).toBe(201);
    await rt.api('POST', `/equipments/${eq.body.id}/meters`, { meter_id: plant.m1, is_output: false });
    await rt.api('POST', `/equipments/${eq.body.id}/meters`, { meter_id: plant.m2, is_output: true });
    const tz = (await rt.api<{ id: number; iana_name: string }[]>('GET', '/timezones')).body.find((z) => z.iana_name === 'Europe/Berlin')!.id;
    const own = await rt.api<{ id: number }>('POST', '/spaces', { name: 'Converter room', parent_space_id: null, area: 1, timezone_id: tz });
    await rt.api('POST', `/spaces/${own.body.id}/equipments`, { equipment_id: eq.body.id });
    await (rt.ctx.services.get('energy') as { settled(): Promise<void> }).settled();
    const out = await ok(`equipmentoutput?equipmentid=${eq.body.id}&${DAILY}&quickmode=true`);
    expect(out.reporting_period.values[0][0]).toBeCloseTo(dayEnergy(riseM2, 1), 6);
    const income = await ok(`equipmentincome?equipmentid=${eq.body.id}&${DAILY}&quickmode=true`);
    expect(income.reporting_period.total).toBeCloseTo(dayCost(riseM2, 1) + dayCost(riseM2, 2), 6);
    const eff = await ok(`equipmentefficiency?equipmentid=${eq.body.id}&${DAILY}&quickmode=true`);
    expect(eff.reporting_period_efficiency.names).toEqual(['Electricity/Electricity']);
    expect(eff.reporting_period_efficiency.values[0][1]).toBeCloseTo(dayEnergy(riseM2, 2) / dayEnergy(riseM1, 2), 9);
    expect(eff.reporting_period_efficiency.values[0][2]).toBeNull();
    expect(eff.reporting_period_efficiency.cumulations[0]).toBeCloseTo((dayEnergy(riseM2, 1) + dayEnergy(riseM2, 2)) / (dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2)), 9);
  }, 120_000);
});

describe('batch, comparison, balance, virtual meter, energy flow', () => {
  it('meterbatch and equipmentbatch list what is bound below a space with its energy', async () => {
    const b = await ok(`meterbatch?spaceid=${plant.site}&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-04T00:00:00&quickmode=true`);
    expect(b.energycategories.map((c: Json) => c.name)).toEqual(['Electricity']);
    expect(b.date_list).toEqual(['2026-03-02', '2026-03-03']);
    const byName = Object.fromEntries(b.meters.map((m: Json) => [m.meter_name, m]));
    expect(byName.M1.space_name).toBe('Root/Site/Hall');
    expect(byName.M1.values[0]).toBeCloseTo(dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2), 6);
    expect(byName.M2.values[0]).toBeCloseTo(dayEnergy(riseM2, 1) + dayEnergy(riseM2, 2), 6);
    expect(byName.M1.daily_values[1].value).toBeCloseTo(dayEnergy(riseM1, 2), 6);
    const e = await ok(`equipmentbatch?spaceid=${plant.site}&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-04T00:00:00&quickmode=true`);
    expect(e.equipments).toHaveLength(1);
    expect(e.equipments[0].equipment_name).toBe('Chiller');
    expect(e.equipments[0].values[0]).toBeCloseTo(dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2), 6);
  }, 120_000);

  it('metercomparison and metersubmetersbalance: M1 against M2 per day', async () => {
    const q = 'periodtype=daily&reportingperiodstartdatetime=2026-03-01T00:00:00&reportingperiodenddatetime=2026-03-04T00:00:00&quickmode=true';
    const c = await ok(`metercomparison?meterid1=${plant.m1}&meterid2=${plant.m2}&${q}`);
    expect(c.meter1.name).toBe('M1');
    expect(c.meter2.name).toBe('M2');
    expect(c.reporting_period1.values[1]).toBeCloseTo(dayEnergy(riseM1, 1), 6);
    expect(c.reporting_period2.values[1]).toBeCloseTo(dayEnergy(riseM2, 1), 6);
    expect(c.diff.values[2]).toBeCloseTo(dayEnergy(riseM1, 2) - dayEnergy(riseM2, 2), 6);
    const bal = await ok(`metersubmetersbalance?meterid=${plant.m1}&${q}`);
    const total = [0, 1, 2].reduce((a, d) => a + dayEnergy(riseM1, d), 0);
    const subs = [0, 1, 2].reduce((a, d) => a + dayEnergy(riseM2, d), 0);
    expect(bal.submeters.map((s: Json) => s.name)).toEqual(['M2']);
    expect(bal.reporting_period.total_in_category).toBeCloseTo(total, 6);
    expect(bal.reporting_period.total_difference_in_category).toBeCloseTo(total - subs, 6);
    expect(bal.reporting_period.percentage_difference).toBeCloseTo((total - subs) / total, 9);
    expect((await get(`metercomparison?meterid1=${plant.m1}&${q}`)).body.field).toBe('meterid2');
    expect((await get(`metercomparison?meterid2=${plant.m2}&${q}`)).body.field).toBe('meterid1');
  }, 120_000);

  it('virtualmeterenergy of x1+x2 and the energy flow diagram of M1', async () => {
    // an unbound virtual meter is in the installation's zone: UTC here, so its days are UTC days
    rt.ctx.settings.set('energy.timezone', 'UTC');
    const vm = await rt.api<{ id: number }>('POST', '/virtualmeters', {
      name: 'V',
      energy_category_id: plant.electricity.id,
      cost_center_id: plant.costCenter,
      expression: { equation: 'x1+x2', variables: [{ name: 'x1', meter_type: 'meter', meter_id: plant.m1 }, { name: 'x2', meter_type: 'meter', meter_id: plant.m2 }] },
    });
    expect(vm.status, JSON.stringify(vm.body)).toBe(201);
    await (rt.ctx.services.get('energy') as { settled(): Promise<void> }).settled();
    const v = await ok(`virtualmeterenergy?virtualmeterid=${vm.body.id}&periodtype=daily&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-05T00:00:00&quickmode=true`);
    expect(v.virtual_meter.name).toBe('V');
    // UTC 2026-03-02T00:00 is hour 25 of the series (it starts 2026-02-28T23:00Z); the readings end at hour 72
    const utcDay = (first: number, n: number) => Array.from({ length: n }, (_, k) => riseM1(first + k) + riseM2(first + k)).reduce((a, b) => a + b, 0);
    expect(v.reporting_period.timestamps).toEqual(['2026-03-02', '2026-03-03', '2026-03-04']);
    expect(v.reporting_period.values[0]).toBeCloseTo(utcDay(25, 24), 6);
    expect(v.reporting_period.values[1]).toBeCloseTo(utcDay(49, 23), 6);
    expect(v.reporting_period.values[2]).toBeNull();

    const d = await rt.api<{ id: number }>('POST', '/energyflowdiagrams', { name: 'Flow' });
    const n1 = await rt.api<{ id: number }>('POST', `/energyflowdiagrams/${d.body.id}/nodes`, { name: 'Grid' });
    const n2 = await rt.api<{ id: number }>('POST', `/energyflowdiagrams/${d.body.id}/nodes`, { name: 'Hall' });
    const uuid = (await rt.api<{ uuid: string }>('GET', `/meters/${plant.m1}`)).body.uuid;
    const link = await rt.api('POST', `/energyflowdiagrams/${d.body.id}/links`, { source_node_id: n1.body.id, target_node_id: n2.body.id, meter_uuid: uuid });
    expect(link.status, JSON.stringify(link.body)).toBe(201);
    const f = await ok(`energyflowdiagram?energyflowdiagramid=${d.body.id}&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-04T00:00:00&quickmode=true`);
    expect(f.nodes.map((n: Json) => n.name)).toEqual(['Grid', 'Hall']);
    expect(f.links[0]).toMatchObject({ source: 'Grid', target: 'Hall' });
    expect(f.links[0].value).toBeCloseTo(dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2), 6);
  }, 120_000);
});

describe('workbooks', () => {
  it('excel_bytes_base64 parses back to the same numbers and holds a chart image; the export route and Accept give the file', async () => {
    const r = await ok(`spaceenergycategory?spaceid=${plant.site}&${DAILY}`);
    expect(typeof r.excel_bytes_base64).toBe('string');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(r.excel_bytes_base64, 'base64') as never);
    const ws = wb.worksheets[0];
    expect(ws.getImages().length).toBeGreaterThanOrEqual(1);
    const media = (wb.model as unknown as { media: { extension: string; buffer: Buffer }[] }).media;
    expect(media[0].extension).toBe('png');
    expect(media[0].buffer.subarray(1, 4).toString()).toBe('PNG');
    const rows: unknown[][] = [];
    ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    const byLabel = (label: string) => rows.find((x) => x[0] === label);
    expect(byLabel('2026-03-02')?.[1]).toBeCloseTo(both(dayEnergy, 1), 6);
    expect(byLabel('2026-03-03')?.[1]).toBeCloseTo(both(dayEnergy, 2), 6);
    expect(byLabel('2026-03-04')?.[1] ?? null).toBeNull();
    expect(byLabel('Subtotal')?.[1]).toBeCloseTo(both(dayEnergy, 1) + both(dayEnergy, 2), 6);
    expect(rows.some((x) => x[0] === 'Space' && x[1] === 'Site')).toBe(true);

    const viaAccept = await fetch(`${rt.url}/api/reports/spacecost?spaceid=${plant.site}&${DAILY}`, { headers: { ...rt.headers, Accept: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } });
    expect(viaAccept.status).toBe(200);
    expect(viaAccept.headers.get('content-type')).toContain('spreadsheetml');
    expect(viaAccept.headers.get('content-disposition')).toMatch(/attachment; filename=".+\.xlsx"/);
    const bytes = Buffer.from(await viaAccept.arrayBuffer());
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
    const exp = await fetch(`${rt.url}/api/reports/meterenergy/export?meterid=${plant.m1}&${DAILY}`, { headers: rt.headers });
    expect(exp.status).toBe(200);
    const wb2 = new ExcelJS.Workbook();
    await wb2.xlsx.load(Buffer.from(await exp.arrayBuffer()) as never);
    expect(wb2.worksheets[0].getImages().length).toBe(1);
  }, 120_000);
});

describe('parameters and privileges', () => {
  it('bad parameters are a 400 naming the parameter; too long a period states the limit', async () => {
    const bad = async (q: string, field: string) => {
      const r = await get(q);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.title).toBe('API.BAD_REQUEST');
      expect(r.body.field).toBe(field);
      return r.body;
    };
    await bad(`spaceenergycategory?spaceid=${plant.site}&periodtype=fortnightly&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-05T00:00:00`, 'periodtype');
    await bad(`spaceenergycategory?spaceid=${plant.site}&periodtype=daily&reportingperiodenddatetime=2026-03-05T00:00:00`, 'reportingperiodstartdatetime');
    await bad(`spaceenergycategory?spaceid=${plant.site}&periodtype=daily&reportingperiodstartdatetime=2026-03-32T00:00:00&reportingperiodenddatetime=2026-04-05T00:00:00`, 'reportingperiodstartdatetime');
    await bad(`spaceenergycategory?spaceid=${plant.site}&periodtype=daily&reportingperiodstartdatetime=2026-03-05T00:00:00&reportingperiodenddatetime=2026-03-01T00:00:00`, 'reportingperiodenddatetime');
    await bad(`spaceenergycategory?spaceid=abc&${DAILY}`, 'spaceid');
    await bad(`spaceenergycategory?${DAILY}`, 'spaceid');
    await bad(`spaceenergycategory?spaceid=${plant.site}&${DAILY}&quickmode=maybe`, 'quickmode');
    const long = await bad(`spaceenergycategory?spaceid=${plant.site}&periodtype=hourly&reportingperiodstartdatetime=2026-01-01T00:00:00&reportingperiodenddatetime=2026-03-01T00:00:00`, 'reportingperiodenddatetime');
    expect(long.description).toBe('API.PERIOD_TOO_LONG');
    expect(long.message).toContain('31 days');
    expect((await get(`spaceenergycategory?spaceid=99999&${DAILY}`)).status).toBe(404);
    expect((await get(`nosuchreport?${DAILY}`)).status).toBe(404);
  }, 120_000);

  it("a user whose privilege names the hall cannot read the site's or M2's report (403) but reads the hall's and M1's", async () => {
    const priv = (await rt.api<{ id: number }>('POST', '/privileges', { name: 'Hall only', data: JSON.stringify({ spaces: [plant.hall] }) })).body.id;
    const u = await rt.api('POST', '/users', { name: 'hallviewer', display_name: 'Hall Viewer', email: 'hall@plant.test', password: 'Hall-Viewer-1', privilege_id: priv });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    const { headers } = await login(rt.url, 'hallviewer', 'Hall-Viewer-1');
    expect((await get(`spaceenergycategory?spaceid=${plant.site}&${DAILY}&quickmode=true`, headers)).status).toBe(403);
    expect((await get(`meterenergy?meterid=${plant.m2}&${DAILY}&quickmode=true`, headers)).status).toBe(403);
    const own = await get(`spaceenergycategory?spaceid=${plant.hall}&${DAILY}&quickmode=true`, headers);
    expect(own.status).toBe(200);
    expect(own.body.reporting_period.subtotals[0]).toBeCloseTo(dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2), 6);
    expect((await get(`meterenergy?meterid=${plant.m1}&${DAILY}&quickmode=true`, headers)).status).toBe(200);
    expect((await get(`equipmentenergycategory?equipmentid=${plant.equipment}&${DAILY}&quickmode=true`, headers)).status).toBe(200);
    const dash = await get(`dashboard?${DAILY}&quickmode=true`, headers);
    expect(dash.status).toBe(200);
    expect(dash.body.child_space_input.child_space_names_array[0]).toEqual(['Hall']);
    expect(dash.body.reporting_period_input.subtotals[0]).toBeCloseTo(dayEnergy(riseM1, 1) + dayEnergy(riseM1, 2), 6);
    const noAuth = await fetch(`${rt.url}/api/reports/spaceenergycategory?spaceid=${plant.hall}&${DAILY}`);
    expect(noAuth.status).toBe(401);
  }, 120_000);
});
