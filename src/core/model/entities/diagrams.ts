import type { EntityDef, FieldDef } from '../types';
import { description, name, num, svgSource } from './fields';

export const distributionsystems: EntityDef = {
  key: 'distributionsystems',
  path: 'distributionsystems',
  table: 'distribution_systems',
  label: 'Distribution System',
  group: 'Diagrams',
  fields: [name, { ...svgSource, required: true }, description],
  children: [{ name: 'distributioncircuits', entity: 'distributioncircuits', field: 'distribution_system_id' }],
};

export const distributioncircuits: EntityDef = {
  key: 'distributioncircuits',
  path: 'distributioncircuits',
  table: 'distribution_circuits',
  label: 'Distribution Circuit',
  group: 'Diagrams',
  fields: [
    { name: 'name', type: 'string', required: true, uniqueWith: 'distribution_system_id' },
    { name: 'distribution_system_id', type: 'ref', ref: 'distributionsystems', embed: 'distribution_system', required: true, onDelete: 'cascade' },
    { name: 'distribution_room', type: 'string', required: true },
    { name: 'switchgear', type: 'string', required: true },
    num('peak_load', { required: true, min: 0 }),
    num('peak_current', { required: true, min: 0 }),
    { name: 'customers', type: 'string' },
    { name: 'meters', type: 'string', help: 'the meters of the circuit as the single-line diagram names them' },
  ],
  nameUnique: false,
  relations: [{ name: 'points', target: 'points', field: 'point_id' }],
};

export const energyflowdiagrams: EntityDef = {
  key: 'energyflowdiagrams',
  path: 'energyflowdiagrams',
  table: 'energy_flow_diagrams',
  label: 'Energy Flow Diagram',
  group: 'Diagrams',
  fields: [name, description],
};

export const energyflownodes: EntityDef = {
  key: 'energyflownodes',
  path: null,
  table: 'energy_flow_nodes',
  label: 'Energy Flow Node',
  group: 'Diagrams',
  uuid: false,
  nameUnique: false,
  fields: [
    { name: 'name', type: 'string', required: true, uniqueWith: 'energy_flow_diagram_id' },
    { name: 'energy_flow_diagram_id', type: 'ref', ref: 'energyflowdiagrams', embed: 'energy_flow_diagram', required: true, onDelete: 'cascade' },
  ],
  nestedUnder: { entity: 'energyflowdiagrams', field: 'energy_flow_diagram_id', name: 'nodes' },
};

const node = (f: string): FieldDef => ({
  name: f,
  type: 'ref',
  ref: 'energyflownodes',
  embed: f.replace(/_id$/, ''),
  required: true,
  onDelete: 'cascade',
  check: (v, row, store) => {
    const n = store.db.prepare('SELECT energy_flow_diagram_id FROM energy_flow_nodes WHERE id = ?').get(v) as { energy_flow_diagram_id: number } | undefined;
    return n && n.energy_flow_diagram_id !== row.energy_flow_diagram_id ? `${f} is a node of another energy flow diagram` : null;
  },
});

export const energyflowlinks: EntityDef = {
  key: 'energyflowlinks',
  path: null,
  table: 'energy_flow_links',
  label: 'Energy Flow Link',
  group: 'Diagrams',
  uuid: false,
  nameField: null,
  fields: [
    { name: 'energy_flow_diagram_id', type: 'ref', ref: 'energyflowdiagrams', embed: 'energy_flow_diagram', required: true, onDelete: 'cascade' },
    node('source_node_id'),
    {
      ...node('target_node_id'),
      check: (v, row, store) => (v === row.source_node_id ? 'target_node_id must differ from source_node_id' : node('target_node_id').check!(v, row, store)),
    },
    {
      name: 'meter_uuid',
      type: 'string',
      required: true,
      help: 'uuid of the meter, offline meter or virtual meter whose power or energy sizes the link',
      check: (v, _row, store) => (['meters', 'offline_meters', 'virtual_meters'].some((t) => store.db.prepare(`SELECT 1 FROM ${t} WHERE uuid = ?`).get(v)) ? null : 'meter_uuid names no meter, offline meter or virtual meter'),
    },
  ],
  nestedUnder: { entity: 'energyflowdiagrams', field: 'energy_flow_diagram_id', name: 'links' },
};
