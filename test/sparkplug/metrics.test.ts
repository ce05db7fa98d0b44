/**
 * What an edge node publishes of its points, in a real runtime against mosquitto, decoded with Eclipse Tahu's
 * sparkplug-payload: a selection by space takes the points of the space and its sub-spaces only; the DBIRTH carries
 * each object type as its Sparkplug data type (analog and energy Double, digital Int32, binary Boolean, text String)
 * with its unit; DDATA follows changes only: a numeric value beyond its deadband from the last value sent (the
 * node's default or the point's own), any other value when it changes, and any change of quality.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PointValue } from '../../src/core/values/bus';
import { hasBinary } from '../peers/peers';
import { freePort } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { waitFor } from '../support/wait';
import { broker, type Broker, creator, checkSequence, collector, type Collector } from './support';
import { ValueBatch } from '../../src/core/values/batch';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');

describe('Sparkplug metrics: selection, data types and deadbands', { timeout: 180_000 }, () => {
  let mb: Broker;
  let rt: TestRuntime;
  let sub: Collector;
  const id: Record<string, number> = {};
  const publish = (values: Record<string, number | string>, quality: PointValue['quality'] = 'good') =>
    rt.ctx.values.publish(ValueBatch.of(Object.entries(values).map(([name, value]) => ({ point_id: id[name], value, quality, ts: Date.now() }))));
  const sent = (name: string) => sub.of('DDATA', 'Panel').flatMap((m) => m.metrics.filter((x) => x.alias === id[name]));
  const tick = () => new Promise((r) => setTimeout(r, 300));

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-metrics-${process.pid}`);
    rt = await startTestRuntime();
    const create = creator(rt.api);
    const tz = (await rt.api<{ id: number }[]>('GET', '/timezones')).body[0].id;
    id.north = await create('/spaces', { name: 'North', area: 1, timezone_id: tz });
    id.hall = await create('/spaces', { name: 'Hall', area: 1, timezone_id: tz, parent_space_id: id.north });
    id.south = await create('/spaces', { name: 'South', area: 1, timezone_id: tz });
    const gw = await create('/gateways', { name: 'gw' });
    const ds = await create('/datasources', { name: 'Panel', gateway_id: gw, protocol: 'manual', connection: '{}' });
    const point = async (name: string, object_type: string, space: number, units = '') => {
      id[name] = await create('/points', { name, data_source_id: ds, object_type, units, address: '{}' });
      expect((await rt.api('POST', `/spaces/${space}/points`, { point_id: id[name] })).status).toBe(201);
    };
    await point('Power', 'ANALOG_VALUE', id.north, 'kW');
    await point('Energy', 'ENERGY_VALUE', id.hall, 'kWh');
    await point('Steps', 'DIGITAL_VALUE', id.hall);
    await point('Breaker', 'BINARY_VALUE', id.hall);
    await point('Label', 'TEXT_VALUE', id.hall);
    await point('Elsewhere', 'ANALOG_VALUE', id.south, 'kW');
    publish({ Power: 10, Energy: 100, Steps: 1, Breaker: 1, Label: 'auto', Elsewhere: 5 });
  });

  afterAll(async () => {
    await rt?.stop();
    await sub?.close().catch(() => undefined);
    await mb?.remove();
  });

  it('births the points of the selected space and its sub-spaces with their data types and units', async () => {
    const node = await rt.api<{ id: number }>('POST', '/sparkplugnodes', {
      name: 'Edge',
      broker_url: `mqtt://127.0.0.1:${mb.port}`,
      group_id: 'Metrics',
      edge_node_id: 'E',
      point_selection: 'spaces',
      space_ids: [id.north],
      deadband: 0.5,
      deadbands: { [id.Energy]: 10 },
      publish_interval_ms: 100,
    });
    expect(node.status, JSON.stringify(node.body)).toBe(201);
    await sub.wait('the DBIRTH', () => sub.of('DBIRTH', 'Panel').length === 1);
    const birth = sub.of('DBIRTH', 'Panel')[0];
    const byName = Object.fromEntries(birth.metrics.map((m) => [m.name, m]));
    expect(Object.keys(byName).sort()).toEqual(['Breaker', 'Energy', 'Label', 'Power', 'Steps']);
    expect(byName.Power).toMatchObject({ alias: id.Power, type: 'Double', value: 10, properties: { engUnit: 'kW', Quality: 192 } });
    expect(byName.Energy).toMatchObject({ alias: id.Energy, type: 'Double', value: 100, properties: { engUnit: 'kWh' } });
    expect(byName.Steps).toMatchObject({ alias: id.Steps, type: 'Int32', value: 1 });
    expect(byName.Breaker).toMatchObject({ alias: id.Breaker, type: 'Boolean', value: true });
    expect(byName.Label).toMatchObject({ alias: id.Label, type: 'String', value: 'auto' });
  });

  it('sends a numeric value beyond its deadband only, any other value when it changes, and every change of quality', async () => {
    // within the deadbands (0.5 by default, 10 for Energy) or unchanged: nothing is sent
    publish({ Power: 10.4, Energy: 105, Steps: 1, Breaker: 1, Label: 'auto', Elsewhere: 6 });
    await tick();
    // beyond them, or changed
    publish({ Power: 10.6, Energy: 111, Steps: 2, Breaker: 0, Label: 'manual' });
    await tick();
    // 0.3 from the last value sent (10.6), though 0.9 from the birth's: nothing
    publish({ Power: 10.9 });
    await tick();
    publish({ Power: 11.2 });
    await tick();
    // the same value, now stale: sent for its quality
    publish({ Power: 11.2 }, 'stale');
    await sub.wait('the last changes', () => sent('Power').some((x) => x.properties.Quality === 500) && sent('Label').length > 0);
    await tick();
    expect(sent('Power').map((x) => [x.type, x.value, x.properties.Quality ?? null])).toEqual([
      ['Double', 10.6, null],
      ['Double', 11.2, null],
      ['Double', 11.2, 500],
    ]);
    expect(sent('Power').at(-1)!.properties['Switchyard Quality']).toBe('stale');
    expect(sent('Energy').map((x) => x.value)).toEqual([111]);
    expect(sent('Steps').map((x) => [x.type, x.value])).toEqual([['Int32', 2]]);
    expect(sent('Breaker').map((x) => [x.type, x.value])).toEqual([['Boolean', false]]);
    expect(sent('Label').map((x) => [x.type, x.value])).toEqual([['String', 'manual']]);
    // a point outside the selected spaces is never published
    expect(sub.messages.some((m) => m.metrics.some((x) => x.alias === id.Elsewhere))).toBe(false);
    await waitFor(() => checkSequence(sub.messages) === null, 'a valid sequence', 5_000, 100);
  });

  it('rebirths when what a birth declares changes, and not for a change outside it', async () => {
    const births = () => sub.of('NBIRTH').length;
    const before = births();
    // a point outside the selected spaces renamed: the catalog is rebuilt, the births would be the same
    const other = await rt.api<Record<string, unknown>>('GET', `/points/${id.Elsewhere}`);
    expect((await rt.api('PUT', `/points/${id.Elsewhere}`, { ...other.body, name: 'Elsewhere 2' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    expect(births()).toBe(before);
    // a selected point renamed: a new birth with the new name
    const power = await rt.api<Record<string, unknown>>('GET', `/points/${id.Power}`);
    expect((await rt.api('PUT', `/points/${id.Power}`, { ...power.body, name: 'Power kW' })).status).toBe(200);
    await sub.wait('the rebirth', () => births() === before + 1 && sub.of('DBIRTH', 'Panel').at(-1)!.metrics.some((m) => m.name === 'Power kW'));
    await waitFor(() => checkSequence(sub.messages) === null, 'a valid sequence', 5_000, 100);
  });
});
