/**
 * Tenants, stores and shopfloors roll up what MyEMS's aggregation binds to them: their counted meters, virtual
 * meters and offline meters, and (shopfloors) the input of their equipment whose is_input_counted is set; a space
 * adds the tenants, stores, shopfloors, equipment and child spaces bound to it whose is_input_counted is set.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyService, SubjectKind } from '../../src/core/energy/contract';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { energySetup, hourly, t } from './support';

let rt: TestRuntime;
let s: Awaited<ReturnType<typeof energySetup>>;
const energy = () => rt.ctx.services.get('energy') as EnergyService;
const query = (kind: SubjectKind, id: number, periodType: 'hourly' | 'daily', direction?: 'input' | 'output') =>
  energy().query({ kind, id, start: t('2026-05-01T00:00:00Z'), end: t(periodType === 'hourly' ? '2026-05-01T03:00:00Z' : '2026-05-02T00:00:00Z'), periodType, direction });
const values = (kind: SubjectKind, id: number, periodType: 'hourly' | 'daily' = 'hourly') => query(kind, id, periodType).categories[0]?.values ?? [];

const ids = { tenant: 0, closedTenant: 0, store: 0, floor: 0, mall: 0, wing: 0, ta: 0, press: 0, idle: 0, line: 0 };

beforeAll(async () => {
  rt = await startTestRuntime();
  s = await energySetup(rt.api);
  const cc = (await s.ok<{ id: number }[]>('GET', '/costcenters'))[0].id;
  const contact = await s.ok<{ id: number }>('POST', '/contacts', { name: 'Mall desk', email: 'desk@mall.test', phone: '+49 30 1234' });
  const tenantType = await s.ok<{ id: number }>('POST', '/tenanttypes', { name: 'Shop', simplified_code: 'SH' });
  const storeType = await s.ok<{ id: number }>('POST', '/storetypes', { name: 'Kiosk', simplified_code: 'KI' });
  const tenant = (name: string, counted: boolean) =>
    s.ok<{ id: number }>('POST', '/tenants', {
      name,
      buildings: 'A',
      floors: '1',
      rooms: '101',
      area: 50,
      tenant_type_id: tenantType.id,
      is_input_counted: counted,
      is_key_tenant: false,
      lease_number: `L-${name}`,
      lease_start_datetime: '2026-01-01T00:00:00',
      lease_end_datetime: '2027-01-01T00:00:00',
      is_in_lease: true,
      contact_id: contact.id,
      cost_center_id: cc,
    });
  const equipment = (name: string, counted: boolean) => s.ok<{ id: number }>('POST', '/equipments', { name, is_input_counted: counted, is_output_counted: false, cost_center_id: cc });

  // readings on the hour from 00:00 to 03:00 UTC on 1 May 2026; each list is the hours' rises
  const metered = async (name: string, rises: number[]) => {
    const m = await s.meter(name, { high: 10_000 });
    await s.history(m.point, hourly('2026-05-01T00:00:00Z', 100, rises));
    return m.meter;
  };
  const ta = await metered('Tenant A', [1, 2, 3]);
  const tb = await metered('Tenant B (not counted)', [100, 100, 100]);
  await s.ok('PUT', `/meters/${tb}`, { is_counted: false });
  const tc = await metered('Closed tenant', [50, 50, 50]);
  const sa = await metered('Store A', [4, 5, 6]);
  const fa = await metered('Shopfloor A', [7, 8, 9]);
  const eaIn = await metered('Press in', [10, 20, 30]);
  const eaOut = await metered('Press out', [1000, 1000, 1000]);
  const ebIn = await metered('Idle press in', [500, 500, 500]);
  const standby = await metered('Press standby (not counted)', [300, 300, 300]);
  await s.ok('PUT', `/meters/${standby}`, { is_counted: false });

  const t1 = await tenant('Bakery', true);
  await s.ok('POST', `/tenants/${t1.id}/meters`, { meter_id: ta });
  await s.ok('POST', `/tenants/${t1.id}/meters`, { meter_id: tb });
  // a virtual meter of the tenant: twice Tenant A
  const vm = await s.ok<{ id: number }>('POST', '/virtualmeters', {
    name: 'Bakery ovens',
    energy_category_id: s.electricity,
    cost_center_id: cc,
    expression: { equation: '2 * x1', variables: [{ name: 'x1', meter_type: 'meter', meter_id: ta }] },
  });
  await s.ok('POST', `/tenants/${t1.id}/virtualmeters`, { virtual_meter_id: vm.id });
  const t2 = await tenant('Closed shop', false);
  await s.ok('POST', `/tenants/${t2.id}/meters`, { meter_id: tc });

  const store = await s.ok<{ id: number }>('POST', '/stores', { name: 'Kiosk', address: 'Mall 1', area: 10, store_type_id: storeType.id, is_input_counted: true, contact_id: contact.id, cost_center_id: cc });
  await s.ok('POST', `/stores/${store.id}/meters`, { meter_id: sa });
  // an offline meter of the store: 48 on 1 May (UTC), 2 an hour
  const om = await s.ok<{ id: number }>('POST', '/offlinemeters', { name: 'Kiosk fridge', energy_category_id: s.electricity, cost_center_id: cc, hourly_low_limit: 0, hourly_high_limit: 100 });
  await s.ok('POST', `/stores/${store.id}/offlinemeters`, { offline_meter_id: om.id });

  const floor = await s.ok<{ id: number }>('POST', '/shopfloors', { name: 'Workshop', area: 80, is_input_counted: true, contact_id: contact.id, cost_center_id: cc });
  await s.ok('POST', `/shopfloors/${floor.id}/meters`, { meter_id: fa });
  const press = await equipment('Press', true);
  await s.ok('POST', `/equipments/${press.id}/meters`, { meter_id: eaIn, is_output: false });
  await s.ok('POST', `/equipments/${press.id}/meters`, { meter_id: eaOut, is_output: true });
  await s.ok('POST', `/equipments/${press.id}/meters`, { meter_id: standby, is_output: false });
  await s.ok('POST', `/shopfloors/${floor.id}/equipments`, { equipment_id: press.id });
  const idle = await equipment('Idle press', false);
  await s.ok('POST', `/equipments/${idle.id}/meters`, { meter_id: ebIn, is_output: false });
  await s.ok('POST', `/shopfloors/${floor.id}/equipments`, { equipment_id: idle.id });
  // a combined equipment of both presses
  const line = await s.ok<{ id: number }>('POST', '/combinedequipments', { name: 'Press line', is_input_counted: true, is_output_counted: true, cost_center_id: cc });
  await s.ok('POST', `/combinedequipments/${line.id}/equipments`, { equipment_id: press.id });
  await s.ok('POST', `/combinedequipments/${line.id}/equipments`, { equipment_id: idle.id });

  // the mall: the bakery, the closed shop (not counted) and the kiosk; Tenant A also bound directly (counts once);
  // the workshop sits in the mall's wing
  const mall = await s.space('Mall', 'UTC');
  const wing = await s.space('Wing', 'UTC', mall);
  await s.bind(mall, 'tenants', { tenant_id: t1.id });
  await s.bind(mall, 'tenants', { tenant_id: t2.id });
  await s.bind(mall, 'stores', { store_id: store.id });
  await s.bind(mall, 'meters', { meter_id: ta });
  await s.bind(wing, 'shopfloors', { shopfloor_id: floor.id });

  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Offline');
  ws.getCell('A2').value = 2026;
  ws.getCell('B2').value = 5;
  const row = ws.getRow(3);
  row.getCell(1).value = om.id;
  row.getCell(2).value = 'Kiosk fridge';
  row.getCell(3).value = 'kWh';
  row.getCell(4).value = 48;
  const up = await fetch(`${rt.url}/api/offlinemeterfiles?file_name=may.xlsx`, { method: 'POST', headers: { ...rt.headers, 'Content-Type': 'application/octet-stream' }, body: Buffer.from(await wb.xlsx.writeBuffer()) });
  expect(up.status).toBe(201);
  await energy().settled();
  Object.assign(ids, { tenant: t1.id, closedTenant: t2.id, store: store.id, floor: floor.id, mall, wing, ta, press: press.id, idle: idle.id, line: line.id });
}, 120_000);
afterAll(async () => {
  await rt?.stop();
});

describe('tenants, stores and shopfloors', () => {
  it('a tenant is its counted meters and virtual meters: Tenant A + 2 x Tenant A, Tenant B (not counted) left out', () => {
    expect(values('tenants', ids.tenant)).toEqual([1 + 2, 2 + 4, 3 + 6]);
    expect(values('tenants', ids.tenant, 'daily')).toEqual([6 + 12]);
    expect(values('tenants', ids.closedTenant)).toEqual([50, 50, 50]);
  });

  it('a store is its counted meters and offline meters: Store A + 48 / 24 an hour', () => {
    expect(values('stores', ids.store)).toEqual([4 + 2, 5 + 2, 6 + 2]);
    // the offline meter has all 24 hours of the day, Store A three
    const day = query('stores', ids.store, 'daily').categories[0];
    expect(day.values).toEqual([15 + 48]);
    expect(day.missingHours).toEqual([24 - 3]);
  });

  it("a shopfloor is its meters and the input of its counted equipment: Shopfloor A + the press's counted input, not its output, its standby meter nor the idle press", () => {
    expect(values('shopfloors', ids.floor)).toEqual([7 + 10, 8 + 20, 9 + 30]);
    expect(values('shopfloors', ids.floor, 'daily')).toEqual([24 + 60]);
  });

  it('an equipment\'s input is its counted input meters; a combined equipment takes the input of its counted equipment and the output of all', () => {
    expect(values('equipments', ids.press)).toEqual([10, 20, 30]);
    expect(query('equipments', ids.press, 'hourly', 'output').categories[0].values).toEqual([1000, 1000, 1000]);
    // the idle press is not input-counted: a combined equipment leaves its input out, but an equipment's own read has it
    expect(values('equipments', ids.idle)).toEqual([500, 500, 500]);
    expect(values('combinedequipments', ids.line)).toEqual([10, 20, 30]);
    expect(query('combinedequipments', ids.line, 'hourly', 'output').categories[0].values).toEqual([1000, 1000, 1000]);
  });

  it('tenants, stores and shopfloors have no output side', () => {
    for (const [kind, id] of [
      ['tenants', ids.tenant],
      ['stores', ids.store],
      ['shopfloors', ids.floor],
    ] as const) {
      expect(query(kind, id, 'hourly', 'output').categories, kind).toEqual([]);
    }
  });

  it('a space adds its counted tenants, stores, shopfloors (through its child space), each meter once', () => {
    const tenant = [3, 6, 9];
    const store = [6, 7, 8];
    const floor = [17, 28, 39];
    expect(values('spaces', ids.wing)).toEqual(floor);
    expect(values('spaces', ids.mall)).toEqual(tenant.map((x, i) => x + store[i] + floor[i]));
    // the day: 18 (tenant) + 63 (store, with the fridge's 24 hours) + 84 (shopfloor)
    expect(values('spaces', ids.mall, 'daily')).toEqual([18 + 63 + 84]);
  });
});
