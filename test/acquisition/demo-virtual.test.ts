/**
 * The demo's calculated points are seeded without the address check that compiles their expressions (it would load
 * mathjs before a fresh store's server listens, demo/plant.ts): here each expression passes that very check and
 * computes what it is meant to, against values worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { validateAddress } from '../../src/core/acquisition/validation';
import { compileVirtual } from '../../src/core/acquisition/virtual';
import { DEMO_REGISTERS } from '../../src/core/demo/devices/devices';
import { DEMO_VIRTUAL_POINTS } from '../../src/core/demo/plant';

const byName = (name: string) => DEMO_VIRTUAL_POINTS.find((v) => v.name === name)!;
/** the point's address with its inputs as ids 1, 2, ... and a scope giving each input its value by name */
function compiled(name: string) {
  const v = byName(name);
  const vars = Object.keys(v.inputs);
  const address = { expression: v.expression, substitutions: Object.fromEntries(vars.map((x, i) => [x, i + 1])) };
  const c = compileVirtual(address);
  return { address, at: (values: Record<string, number>) => c.evaluate(new Map(vars.map((x) => [x, values[v.inputs[x]]]))) };
}

describe("the demo's virtual points", () => {
  it('pass the address check a point created through the API gets, and read only points made before them', () => {
    const made = new Set(DEMO_REGISTERS.map((r) => r.name));
    for (const v of DEMO_VIRTUAL_POINTS) {
      expect(validateAddress('virtual', compiled(v.name).address, true), v.name).toBeNull();
      for (const input of Object.values(v.inputs)) expect(made.has(input), `${v.name} reads ${input}`).toBe(true);
      made.add(v.name);
    }
  });

  it('compute the site load and the PV self consumption', () => {
    expect(compiled('Site Load').at({ 'Building A Power': 42.5, 'Building B Power': 61, 'EV Power': 11 })).toBeCloseTo(114.5, 9);
    const self = compiled('PV Self Consumption');
    // 80 kW of PV under a 50 kW load: 50/80 of it used on site; under a 120 kW load all of it; at night none
    expect(self.at({ 'PV Power': 80, 'Site Load': 50 })).toBeCloseTo(62.5, 9);
    expect(self.at({ 'PV Power': 80, 'Site Load': 120 })).toBeCloseTo(100, 9);
    expect(self.at({ 'PV Power': 0.2, 'Site Load': 120 })).toBe(0);
  });
});
