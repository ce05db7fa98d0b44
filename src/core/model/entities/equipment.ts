import type { EntityDef, FieldDef, RelationDef } from '../types';
import { bool, description, name, ref, svgSource } from './fields';

/** A parameter of an equipment: a constant, a point, or a fraction of two meters (by uuid). */
const parameterFields = (owner: string, ownerField: string): FieldDef[] => [
  name,
  ref(ownerField, owner, ownerField.replace(/_id$/, ''), { required: true, onDelete: 'cascade' }),
  { name: 'parameter_type', type: 'enum', required: true, values: ['constant', 'point', 'fraction'] },
  { name: 'constant', type: 'string', requiredWhen: { test: (r) => r.parameter_type === 'constant', because: 'for a constant parameter' } },
  ref('point_id', 'points', 'point', { onDelete: 'setNull', requiredWhen: { test: (r) => r.parameter_type === 'point', because: 'for a point parameter' } }),
  ...(['numerator_meter_uuid', 'denominator_meter_uuid'] as const).map(
    (f): FieldDef => ({
      name: f,
      type: 'string',
      requiredWhen: { test: (r) => r.parameter_type === 'fraction', because: 'for a fraction parameter' },
      check: (v, row, store) => {
        if (row.parameter_type !== 'fraction') return null;
        const found = ['meters', 'offline_meters', 'virtual_meters'].some((t) => store.db.prepare(`SELECT 1 FROM ${t} WHERE uuid = ?`).get(v));
        return found ? null : `${f} names no meter, offline meter or virtual meter`;
      },
    }),
  ),
];

const meterRelations: RelationDef[] = [
  { name: 'meters', target: 'meters', field: 'meter_id', extra: [{ name: 'is_output', type: 'boolean', default: false }] },
  { name: 'offlinemeters', target: 'offlinemeters', field: 'offline_meter_id', extra: [{ name: 'is_output', type: 'boolean', default: false }] },
  { name: 'virtualmeters', target: 'virtualmeters', field: 'virtual_meter_id', extra: [{ name: 'is_output', type: 'boolean', default: false }] },
  { name: 'commands', target: 'commands', field: 'command_id' },
];

const equipmentFields: FieldDef[] = [
  name,
  bool('is_input_counted', true),
  bool('is_output_counted', false),
  ref('cost_center_id', 'costcenters', 'cost_center', { required: true }),
  svgSource,
  { name: 'camera_url', type: 'string', maxLength: 1000 },
  description,
];

export const equipments: EntityDef = {
  key: 'equipments',
  path: 'equipments',
  table: 'equipments',
  label: 'Equipment',
  group: 'Equipment',
  qrcode: 'equipment',
  deleteBindings: true,
  fields: equipmentFields,
  relations: meterRelations,
};

export const equipmentparameters: EntityDef = {
  key: 'equipmentparameters',
  path: null,
  table: 'equipment_parameters',
  label: 'Equipment Parameter',
  group: 'Equipment',
  uuid: false,
  nameUnique: false,
  fields: parameterFields('equipments', 'equipment_id'),
  nestedUnder: { entity: 'equipments', field: 'equipment_id', name: 'parameters' },
};

export const combinedequipments: EntityDef = {
  key: 'combinedequipments',
  path: 'combinedequipments',
  table: 'combined_equipments',
  label: 'Combined Equipment',
  group: 'Equipment',
  qrcode: 'combinedequipment',
  deleteBindings: true,
  fields: equipmentFields,
  relations: [{ name: 'equipments', target: 'equipments', field: 'equipment_id' }, ...meterRelations],
};

export const combinedequipmentparameters: EntityDef = {
  key: 'combinedequipmentparameters',
  path: null,
  table: 'combined_equipment_parameters',
  label: 'Combined Equipment Parameter',
  group: 'Equipment',
  uuid: false,
  nameUnique: false,
  fields: parameterFields('combinedequipments', 'combined_equipment_id'),
  nestedUnder: { entity: 'combinedequipments', field: 'combined_equipment_id', name: 'parameters' },
};
