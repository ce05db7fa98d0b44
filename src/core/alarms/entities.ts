/** Configuration entities of the alarm feature: per-point alarm settings (the rules entity is in rules.ts). */
import type { EntityDef } from '../model/types';
import { PRIORITIES } from './state';

const priority = (name: string, dflt: string, label: string) => ({ name, type: 'enum' as const, values: PRIORITIES, default: dflt, label });

export const pointalarms: EntityDef = {
  key: 'pointalarms',
  path: 'pointalarms',
  table: 'point_alarm_settings',
  label: 'Point Alarm',
  group: 'Alarms',
  uuid: false,
  nameField: null,
  clone: false,
  fields: [
    { name: 'point_id', type: 'ref', ref: 'points', embed: 'point', required: true, unique: true, onDelete: 'cascade', help: 'limits come from the point (high_limit, low_limit, higher_limit, lower_limit)' },
    { name: 'is_enabled', type: 'boolean', default: true },
    { name: 'deadband', type: 'number', min: 0, default: 0, help: 'hysteresis in the point units: HI clears below high_limit - deadband' },
    { name: 'on_delay_seconds', type: 'number', min: 0, max: 86_400, default: 0 },
    { name: 'off_delay_seconds', type: 'number', min: 0, max: 86_400, default: 0 },
    priority('higher_priority', 'HIGH', 'HIHI priority'),
    priority('high_priority', 'MEDIUM', 'HI priority'),
    priority('low_priority', 'MEDIUM', 'LO priority'),
    priority('lower_priority', 'HIGH', 'LOLO priority'),
    { name: 'is_comm_alarm_enabled', type: 'boolean', default: true },
    priority('comm_priority', 'MEDIUM', 'communication alarm priority'),
    { name: 'digital_alarm_value', type: 'number', help: 'digital (state) alarm: active while the value equals this' },
    priority('digital_priority', 'MEDIUM', 'state alarm priority'),
    { name: 'suppress_point_id', type: 'ref', ref: 'points', embed: 'suppress_point', onDelete: 'setNull', help: 'suppressed by design while this point has suppress_value (e.g. equipment out of service)' },
    { name: 'suppress_value', type: 'number', default: 0 },
  ],
};
